"""Sending through Slack's Web API, with retries on rate limits and outages.

`SlackRetry` retries a call Slack answered 429 (rate limited) or 5xx (an outage), waiting as
long as Slack's Retry-After says (capped), or backing off when it says nothing. Every
WebClient partnerbot makes carries it, so listeners and the scheduler retry alike.

`Delivery` is what the scheduler calls to send a nudge on its own: `send_to_person` (a
direct message) and `send_to_channel` (a digest in the partnership's channel). It finds each
workspace's bot token in the installation store (multi-workspace installs) or uses the
single SLACK_BOT_TOKEN.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.webhook import WebhookClient

from bot.slack.connections import KeptOpen
from bot.slack.render import blocks as render_blocks
from bot.slack.render import fallback_text
from handlers.reply import Audience, Reply

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Errors meaning the bot may not post in that conversation (a private channel or DM it is
# not in): a slash command's response_url still reaches the person.
NOT_THERE = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}


class SlackRetry(RetryHandler):
    """Retry on 429 and 5xx, honouring Retry-After (capped at `max_wait` seconds)."""

    def __init__(self, max_retry_count: int = 3, max_wait: float = 60.0, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.backoff = backoff
        self.sleep = sleep

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return response is not None and response.status_code in RETRY_STATUSES

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        wait = retry_after(response)
        if wait is None:
            wait = self.backoff * (2 ** state.current_attempt)
        wait = min(wait, self.max_wait)
        log.warning("Slack answered %s to %s; retrying in %.1fs", response.status_code if response else "?",
                    request.url, wait)
        state.next_attempt_requested = True
        self.sleep(wait)
        state.increment_current_attempt()


def retry_after(response: HttpResponse | None) -> float | None:
    if response is None:
        return None
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def retry_handlers() -> list[RetryHandler]:
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

    return [SlackRetry(), ConnectionErrorRetryHandler(max_retry_count=2)]


def web_client(api_url: str | None, token: str | None = None) -> WebClient:
    """A client for the Web API at `api_url` (Slack's own by default), retrying, over kept connections."""
    return KeptOpen(token=token, base_url=api_url or DEFAULT_API_URL, retry_handlers=retry_handlers())


def answer(reply: Reply) -> dict[str, Any] | None:
    """A personal reply as the body of a slash command's acknowledgement, which Slack shows
    the person alone, as chat.postEphemeral would: no Web API call (no rate limit spent, no
    second round trip), and it reaches them even where the bot was not invited. None for an
    announcement, which the channel must see (`deliver` posts it)."""
    if for_channel(reply):
        return None
    return {"text": fallback_text(reply), "blocks": render_blocks(reply), "response_type": "ephemeral"}


def for_channel(reply: Reply) -> bool:
    """An announcement, which the channel sees; a refusal is the asker's alone."""
    return reply.audience is Audience.CHANNEL and not reply.error


def deliver(client: WebClient, reply: Reply, channel: str | None, user: str,
            response_url: str | None = None, answered: bool = False) -> None:
    """Show a reply where it belongs: the channel for announcements, the person otherwise.

    Personal replies are ephemeral in the channel; with no channel (the App Home tab) they
    arrive as a direct message. When the bot may not post in the channel (a private one it
    was not invited to), the slash command's response_url still reaches the person, but never
    in the channel for something said anonymously: Slack would show the typed command beside it.
    An announcement that belongs in another channel (`reply.channel`: the partnership's, for an
    anonymous concern or a command typed in a DM or another partnership's channel) goes there on
    its own, and the asker sees it, ephemeral, where they typed, unless it was said anonymously;
    words for the asker alone (`private_note`) go to them apart, where they typed.
    `answered`: the reply itself went back in the acknowledgement (`answer`); its files and
    note remain."""
    if not answered:
        show(client, reply, channel, user, response_url)
        if elsewhere(reply, channel) and not reply.discreet:
            show(client, replace(reply, audience=Audience.PERSONAL, channel=None), channel, user, response_url)
    elif reply.attachments and not reply.error:
        upload(client, reply, None, user)  # a personal reply's files go to the person's DM
    if reply.private_note:  # ephemeral where they typed, else their DM; a refusal may carry one (a spent code's successor)
        show(client, Reply(text=reply.private_note, discreet=True), channel, user, response_url)


def elsewhere(reply: Reply, channel: str | None) -> bool:
    """An announcement that belongs in a channel other than the one it was typed in."""
    return for_channel(reply) and reply.channel is not None and reply.channel != channel


def show(client: WebClient, reply: Reply, channel: str | None, user: str, response_url: str | None) -> None:
    """The reply itself, in the channel or to the person (see `deliver`). The response_url reaches
    only where the command was typed: never used for an announcement that belongs elsewhere."""
    shown, text = render_blocks(reply), fallback_text(reply)
    in_channel = for_channel(reply)
    if elsewhere(reply, channel):
        channel = reply.channel
        if not reply.discreet:  # its asker sees it apart; an anonymous one is shown them only this way
            response_url = None
    try:
        if channel is None or channel == user:
            client.chat_postMessage(channel=user, text=text, blocks=shown)
        elif in_channel:
            client.chat_postMessage(channel=channel, text=text, blocks=shown)
        else:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=shown)
    except SlackApiError as failure:
        error = failure.response.get("error") if failure.response is not None else None
        if response_url and error in NOT_THERE:
            WebhookClient(response_url, retry_handlers=retry_handlers()).send(
                text=text, blocks=shown, response_type="in_channel" if in_channel and not reply.discreet else "ephemeral")
            return
        log.warning("could not deliver a reply to %s: %s", channel or user, error or failure)
        return
    if reply.attachments and not reply.error:
        upload(client, reply, channel if in_channel and channel != user else None, user)


def upload(client: WebClient, reply: Reply, channel: str | None, user: str) -> None:
    """A reply's files, where the reply went: an announcement's channel, else the person's DM
    (a file cannot be ephemeral, and a DM shows it to them alone)."""
    try:
        target = channel or client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(channel=target, file_uploads=[
            {"content": a.content, "filename": a.filename, "title": a.filename} for a in reply.attachments])
    except SlackClientError as failure:
        log.warning("could not upload files to %s: %s", channel or user, failure)


class Delivery:
    """Sends the bot's own messages (nudges, digests) to any workspace it is installed in."""

    def __init__(self, api_url: str | None = None, token: str | None = None,
                 installation_store: InstallationStore | None = None) -> None:
        self.api_url = api_url or DEFAULT_API_URL
        self.token = token
        self.installation_store = installation_store

    def token_for(self, workspace: str) -> str | None:
        if self.installation_store is not None:
            bot = self.installation_store.find_bot(enterprise_id=None, team_id=workspace)
            if bot is not None and bot.bot_token:
                return bot.bot_token
        return self.token

    def client(self, workspace: str) -> WebClient:
        token = self.token_for(workspace)
        if token is None:
            raise LookupError(f"partnerbot is not installed in Slack workspace {workspace}")
        return web_client(self.api_url, token)

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> str:
        """A direct message from the bot; returns the message's ts. Raises SlackApiError
        when Slack refuses even after retries, so the caller can try again later.

        `partnership_channel` (the partnership's home channel) makes the reply's buttons act
        in that partnership."""
        return self._post(workspace, user_id, reply, partnership_channel)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> str:
        """A message in a channel (a digest in the partnership's home); returns its ts."""
        return self._post(workspace, channel, reply, None)

    def _post(self, workspace: str, channel: str, reply: Reply, hint: str | None) -> str:
        response = self.client(workspace).chat_postMessage(
            channel=channel, text=fallback_text(reply), blocks=render_blocks(reply, hint))
        return str(response.get("ts", ""))
