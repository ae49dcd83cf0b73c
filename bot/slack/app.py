"""The Slack app: builds the Bolt App, wires every listener here, and starts it.

`start(settings, sessions)` runs Socket Mode when SLACK_APP_TOKEN is set, else the web app
(bot/web) on settings.port, serving /slack/events (requests verified with
SLACK_SIGNING_SECRET) beside the web pages. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, the app installs in
many workspaces through Slack's OAuth flow (/slack/install), keeping installations in the
partnership database; otherwise it uses the single SLACK_BOT_TOKEN. SLACK_API_URL points
the Web API elsewhere (GovSlack, or the tests' recorder).
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.slack import actions, commands, events, guard, shortcuts, views
from bot.slack.acks import on_pool
from bot.slack.chat import SlackChat
from bot.slack.connections import KeepOpen
from bot.slack.delivery import DEFAULT_API_URL, Delivery, web_client
from bot.slack.once import Once
from bot.slack.people import People
from bot.slack.workers import Workers
from bot.web import create_app
from bot.web.server import serve

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

# Keep in step with manifest.yml.
BOT_SCOPES = ["commands", "chat:write", "chat:write.public", "files:write", "im:write", "users:read"]


# Socket Mode pings this often; a connection that dropped is noticed within four times it.
SOCKET_PING_SECONDS = 5

NOT_INSTALLED = ":warning: partnerbot isn't installed in this workspace yet, so nothing was done. Ask an admin to install it."


def register_listeners(app: App, chat: SlackChat, pool: Executor) -> None:
    """Every kind of Slack input, wired in one visible place; each listener runs on `pool`,
    and its request is answered the moment it acknowledges (bot/slack/acks.py), and its
    client calls the Web API over kept connections (bot/slack/connections.py)."""
    app.use(KeepOpen())
    app.use(Once(chat.sessions))
    commands.register(app, chat)
    actions.register(app, chat)
    views.register(app, chat)
    shortcuts.register(app, chat)
    events.register(app, chat)
    for listener in app._listeners:  # Bolt has no public hook around a listener
        listener.ack_function = on_pool(listener.ack_function, pool)


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    return sessions.kw["bind"]


def oauth_settings(settings: Settings, sessions: sessionmaker[Session]) -> OAuthSettings | None:
    """Multi-workspace installs, when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set."""
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    if not (client_id and client_secret):
        return None
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    engine = engine_of(sessions)
    return OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installation_store=SQLAlchemyInstallationStore(client_id=client_id, engine=engine),
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
        authorization_url=authorization_url(settings.slack_api_url),
        install_page_rendering_enabled=True,
    )


def authorization_url(api_url: str | None) -> str:
    """Slack's (or GovSlack's) install page: the Web API's host, /oauth/v2/authorize."""
    base = (api_url or DEFAULT_API_URL).rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return base + "/oauth/v2/authorize"


def build_app(settings: Settings, sessions: sessionmaker[Session], people: People | None = None,
              listener_executor: Executor | None = None) -> App:
    """The Bolt app; `listener_executor` is the pool listeners run on."""
    oauth = oauth_settings(settings, sessions)
    token = None if oauth else settings.slack_bot_token
    pool = listener_executor or Workers()
    app = App(  # the client carries the token (and the API URL and retries)
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=bool(settings.slack_signing_secret),
        client=web_client(settings.slack_api_url, token),
        oauth_settings=oauth,
        # The HTTP answer waits for the listener's ack(), which a command gives once it has
        # committed (or within 2 s: SlackChat.run), before the slower reply: Slack's 200 means
        # the change is kept. Bolt would look for the ack() every 10 ms; our listeners run on
        # `pool` and release the answer the moment they acknowledge (bot/slack/acks.py).
        process_before_response=True,
        user_facing_authorize_error_message=NOT_INSTALLED,
        listener_executor=pool,
    )
    app.error(guard.bad_request)
    register_listeners(app, SlackChat(sessions, people or People(), settings.timezone), pool)
    return app


def delivery(settings: Settings, sessions: sessionmaker[Session]) -> Delivery:
    """What the scheduler sends nudges with: `send_to_person`, `send_to_channel`."""
    oauth = oauth_settings(settings, sessions)
    return Delivery(settings.slack_api_url, settings.slack_bot_token,
                    oauth.installation_store if oauth else None)


def socket_mode(app: App, settings: Settings) -> SocketModeHandler:
    """The app on a Socket Mode connection (SLACK_APP_TOKEN): Slack says where to connect
    (`apps.connections.open`, through SLACK_API_URL), and the handler reconnects when told
    to, or when pings have gone unanswered for four intervals (a dropped connection)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, settings.slack_app_token, ping_interval=SOCKET_PING_SECONDS)


def start(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Run the Slack app until interrupted: Socket Mode with SLACK_APP_TOKEN, else HTTP."""
    app = build_app(settings, sessions)
    if settings.slack_app_token:
        log.warning("Slack: Socket Mode")
        socket_mode(app, settings).start()
        return
    if not settings.slack_signing_secret:
        raise SystemExit("Slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode).")
    server = serve(create_app(settings, sessions, slack=app), "0.0.0.0", settings.port)
    log.warning("Slack: listening on port %s at /slack/events", settings.port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
