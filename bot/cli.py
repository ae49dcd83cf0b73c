"""The `partnerbot` command: run the bot, the console chat, the demo, or maintenance."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot import logs
from bot.config import Settings, load_settings, open_database, shown_url

log = logging.getLogger(__name__)
# Where `partnerbot help` points for the commands people type in the chat.
CHAT_HELP = ("In the chat, type `help` for every chat command, or `help <command>` (like `help commit`) for one; "
             "`partnerbot console` lets you try them in the terminal.")

# Where the records live, for the help of the commands that use them.
WHERE = ("The records are kept in the database DATABASE_URL names (in the environment or .env); without it, "
         "in partnerbot.db in the folder it starts in.")

if TYPE_CHECKING:
    from bot.console import Console
    from bot.email.app import MailService
    from bot.scheduler import Delivery


def console(settings: Settings, user: str, nudges: bool | None = None) -> None:
    from bot.console import Console

    sessions = open_database(settings)
    if sys.stdin.isatty():  # piped input keeps its output to the replies, the same from run to run
        print(f"Your partnerships are kept in {shown_url(settings.database_url)}.")
    chat(Console(sessions, user, settings.timezone), nudges, settings)


def chat(console: Console, nudges: bool | None, settings: Settings | None = None) -> None:
    """Run the console chat, with the nudge scheduler beside it.

    Nudges are on at a terminal and off for piped input, so a script's output stays the
    same from run to run; `--nudges` turns them on there too (one sweep before the first
    line, then every few minutes), `--no-nudges` off anywhere.
    """
    from bot import scheduler
    from bot.console import PLATFORM, ConsoleDelivery
    from bot.email.delivery import routed

    if not (console.interactive if nudges is None else nudges):
        console.run()
        return
    delivery: Delivery = ConsoleDelivery(console)
    if settings is not None:  # mail for those who chose it, when SMTP_URL is set
        delivery = routed(settings, console.sessions, delivery, PLATFORM)
    scheduler.sweep(console.sessions, delivery, PLATFORM)
    background = scheduler.start(console.sessions, delivery, PLATFORM,
                                 first_run=datetime.now(UTC) + timedelta(minutes=scheduler.SWEEP_MINUTES))
    try:
        console.run()
    finally:
        background.shutdown(wait=False)


def run(settings: Settings, user: str, nudges: bool | None = None) -> None:
    """Start every platform whose settings are present; with none, the console chat.

    With several, each but the last serves in a thread of its own, all on one database; email
    (SMTP_URL, IMAP_URL) serves beside them in threads of its own."""
    servers = [serve for enabled, serve in ((settings.slack_enabled, serve_slack), (settings.matrix_enabled, serve_matrix))
               if enabled]
    sessions = open_database(settings) if servers or settings.mail_enabled or settings.imap_url else None
    if sessions is not None and (settings.mail_enabled or settings.imap_url):
        serve_email(settings, sessions)
    if not servers:
        console(settings, user, nudges)
        return
    from bot import metrics

    assert sessions is not None
    metrics.serve_privately(settings, sessions)
    *beside, last = servers
    for serve in beside:
        threading.Thread(target=serve, args=(settings, sessions), name=serve.__name__, daemon=True).start()
    last(settings, sessions)


def serve_email(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Email, in threads beside the chat: the outbox sent, followers' weeks mailed, the mailbox read."""
    service = mail_service(settings, sessions)
    service.start(threading.Event())
    log.warning("Email: %s", ", ".join(filter(None, (
        service.sender and f"sending through {service.sender.endpoint.shown}",
        service.inbox and f"reading {service.inbox.endpoint.shown}"))))


def serve_slack(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """The Slack app, with the nudge scheduler sending through Slack's Web API (and mail, to those who chose it)."""
    from bot import scheduler
    from bot.email.delivery import routed
    from bot.slack.app import delivery, start

    with scheduler.sweeping(settings, sessions, routed(settings, sessions, delivery(settings, sessions), "slack"),
                            "slack"):
        start(settings, sessions)


def serve_matrix(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """The Matrix bot, with the nudge scheduler sending through its connection."""
    import asyncio

    from bot import scheduler
    from bot.email.delivery import routed
    from bot.matrix.account import LoginFailed
    from bot.matrix.app import PLATFORM, MatrixBot

    bot = MatrixBot(settings, sessions)
    log.warning("Matrix: %s on %s", settings.matrix_user_id, settings.matrix_homeserver)
    # The first sweep waits for the connection, so it has something to send with.
    try:
        with scheduler.sweeping(settings, sessions, routed(settings, sessions, bot.delivery, PLATFORM), PLATFORM,
                                first_run=datetime.now(UTC) + timedelta(seconds=30)):
            asyncio.run(bot.run())
    except LoginFailed as refused:
        raise SystemExit(str(refused)) from None


def demo(settings: Settings, user: str, nudges: bool | None = None) -> None:
    from bot.console import Console
    from bot.demo import NAME, WORKSPACE, load_demo

    sessions = open_database(settings)
    if load_demo(sessions):
        print(f"Loaded the sample {NAME}. Try `partnership`, `who`, `load`, `concerns 1`, `as bob`, `mine`.")
    else:
        print(f"The sample {NAME} is already loaded.")
    chat(Console(sessions, user, settings.timezone, workspace=WORKSPACE), nudges, settings)


def existing(settings: Settings, create: bool) -> sessionmaker[Session]:
    """The database a maintenance command works on, named on stderr; made new only when asked
    (`--create`), so a wrong DATABASE_URL or directory is not mistaken for a quiet database."""
    print(f"Using {shown_url(settings.database_url)}", file=sys.stderr)
    return open_database(settings, create)


def tick(settings: Settings, create: bool) -> None:
    """Sweep for each platform, then exit: for cron, or to catch up after the bot was down. One
    sweep each, or as many as it takes to derive every partnership due (a zone's midnight)."""
    from bot import scheduler

    sessions = existing(settings, create)
    for platform, through in deliveries(settings, sessions).items():
        for report in scheduler.work_off(sessions, through, platform, lease=settings.sweep_lease):
            print(f"{platform}: {report.summary()}")
    if settings.mail_enabled or settings.imap_url:
        print(f"email: {mail_service(settings, sessions).tick().summary()}")


def sweeper(settings: Settings) -> None:
    """Sweep every few minutes for each platform, and answer nothing: the one sweeper beside
    processes started with PARTNERBOT_SWEEP=off. A sweep that left partnerships due is followed
    by the next at once."""
    import time

    from bot import scheduler

    sessions = open_database(settings)
    through = deliveries(settings, sessions)
    log.warning("Sweeping for %s every %s minutes", ", ".join(through), scheduler.SWEEP_MINUTES)
    if settings.mail_enabled or settings.imap_url:
        serve_email(settings, sessions)
    while True:
        more = False
        for platform, delivery in through.items():
            try:
                report = scheduler.sweep(sessions, delivery, platform, lease=settings.sweep_lease)
            except Exception:  # the database away, say: the next sweep picks up where this left off
                log.exception("nudge sweep failed")
                continue
            more = more or report.more_due
            print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {platform}: {report.summary()}", flush=True)
        if not more:
            time.sleep(scheduler.SWEEP_MINUTES * 60)


def deliveries(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Delivery]:
    """How nudges go out on each configured platform; the console's are printed."""
    from bot.console import PLATFORM, Console, ConsoleDelivery
    from bot.email.delivery import routed

    through: dict[str, Delivery] = {
        PLATFORM: ConsoleDelivery(Console(sessions, "partnerbot", settings.timezone, stdout=sys.stdout))
    }
    if settings.slack_enabled:
        from bot.slack.app import delivery

        through["slack"] = delivery(settings, sessions)
    if settings.matrix_enabled:
        from bot.matrix.app import PLATFORM as MATRIX
        from bot.matrix.app import delivery as matrix_delivery

        through[MATRIX] = matrix_delivery(settings, sessions)
    return {platform: routed(settings, sessions, delivery, platform) for platform, delivery in through.items()}


def mail_service(settings: Settings, sessions: sessionmaker[Session]) -> MailService:
    from bot.email.app import MailService
    from bot.email.servers import Refused

    try:
        return MailService(settings, sessions)
    except Refused as refused:
        raise SystemExit(f"Email: {refused}") from None


def mail_in(settings: Settings) -> int:
    """Take one mail from standard input, as a mail server's pipe hands it over (`partnerbot
    mail-in < message`); exit 75 (try again later) when it could not be taken, so the server keeps it."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.email.gateway import MAX_BYTES, take

    raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    size = len(raw) + sum(len(chunk) for chunk in iter(lambda: sys.stdin.buffer.read(1 << 16), b""))
    try:
        received = take(raw, open_database(settings), size=size)
    except SQLAlchemyError as failure:
        print(f"The database is away ({type(failure).__name__}); the mail server should try again.", file=sys.stderr)
        return 75
    print(f"{received.outcome}: {received.why}")
    return 0


def dry_run(settings: Settings, create: bool) -> None:
    """Show what a sweep would send now and to whom, and what it would cancel as no longer
    true and why, changing nothing."""
    from bot import scheduler
    from handlers.parsing import printable
    from handlers.reply import plural

    def line(n: scheduler.Pending) -> str:
        return printable(f"  [{n.kind}] {n.partnership}: {n.text}").replace("\n", "\n    ")

    batches, left = scheduler.preview(existing(settings, create))
    if not batches:
        print("No nudges are due." if not left else "No nudges are due from the partnerships the next sweep derives.")
    for batch in batches:
        # Names come from the platforms: shown without the escapes a display name can carry.
        where = printable(f"{batch.recipient} ({batch.platform}/{batch.workspace})")
        if batch.now:
            print(f"To {where}, now, as one message:", *map(line, batch.now), sep="\n")
        for n, why in batch.later:
            print(f"To {where}, later ({printable(why)}):", line(n), sep="\n")
        for n, why in batch.cancelled:
            print(f"To {where}, cancelled, no longer true ({printable(why)}):", line(n), sep="\n")
    if left:
        print(f"{plural(left, 'partnership')} more {'are' if left > 1 else 'is'} due, left to the sweeps after "
              "the next (each derives a chunk): what they owe is not shown.")


def export(settings: Settings, name: str | None, workspace: str | None, out: Path | None, create: bool) -> None:
    """Write one partnership's exports (CSV, iCalendar, Markdown) to a folder, by default
    `partnerbot-export-<partnership>-<date>` as the console names it."""
    from handlers.context import zone
    from handlers.errors import UserError
    from handlers.exports import export_files, find_partnership, folder_name, write_files

    now, tz = datetime.now(UTC), zone(settings.timezone)
    with existing(settings, create)() as session:
        try:
            partnership = find_partnership(session, name, workspace)
        except UserError as refused:
            raise SystemExit(f"{refused.message} {refused.hint or ''}".strip()) from None
        files = export_files(session, partnership, now, tz)
    out = out or Path(folder_name(partnership, now.astimezone(tz).date()))
    written = write_files(files, out)
    print(f"Exported {partnership.name} to {out.resolve()}: " + ", ".join(p.name for p in written))


def web(settings: Settings, host: str, port: int | None, create: bool) -> None:
    """Serve the web pages alone (public pages, dashboard), for a console-only install: on the
    database the console wrote to, never a new empty one unless asked (`--create`)."""
    from bot import metrics
    from bot.web import create_app
    from bot.web.server import serve

    port = settings.port if port is None else port
    sessions = existing(settings, create)
    metrics.serve_privately(settings, sessions)
    app = create_app(settings, sessions)
    try:
        server = serve(app, host, port)
    except OSError as failed:  # the port is taken, or not ours to use
        raise SystemExit(f"Can't serve on {host}:{port}: {failed.strerror or failed}. "
                         "Stop whatever uses it, or pick another port with --port (or PORT).") from None
    print(f"Serving the web pages on port {port}; public pages at /p/<address>/, the dashboard at /dashboard.",
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def publish(settings: Settings, out: Path, create: bool) -> None:
    """Write every published partnership's public page, calendar and feed as static files, and
    remove this machine's copies of pages taken down since."""
    from bot.web import create_app
    from bot.web.static import write_pages
    from handlers.publishing import live_address, site_address

    written = write_pages(create_app(settings, existing(settings, create)), out)
    for line in written.removed:
        print(line)
    if not written.files:
        print("No partnership has published its page yet: a coordinator types `publish on` in the chat.")
        return
    print(f"Wrote {len(written.files)} files to {out.resolve()}: "
          + ", ".join(str(p.relative_to(out.resolve())) for p in written.files))
    if live_address() is None:
        print(f"PARTNERBOT_BASE_URL is not set, so the feeds and calendars name {site_address()}, which only this "
              "machine reaches, and the pages offer no way to follow by email: set it to the live site's address.")
    elif not settings.mail_enabled:
        print("SMTP_URL is not set, so the pages offer no way to follow by email: the live site would mail nothing.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="partnerbot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    for name, text in (("run", "start every configured platform (the console when none is)"),
                       ("console", "chat in the terminal; reads standard input when it is not a terminal"),
                       ("demo", "load a sample town partnership, then open the console")):
        sub = commands.add_parser(name, help=text, description=f"{text[0].upper()}{text[1:]}. {WHERE}")
        sub.add_argument("--as", dest="user", default=None, help="who you are in the console (default: your login)")
        sub.add_argument("--nudges", action=argparse.BooleanOptionalAction, default=None,
                         help="send nudges into the chat (default: at a terminal, not for piped input)")
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    ticking = commands.add_parser("tick", help="sweep nudges (send what is due now; as many sweeps as a "
                                  "midnight's partnerships take) and exit; for cron")
    commands.add_parser("sweeper", help="only send nudges, sweeping every few minutes: the one sweeper "
                        "beside processes started with PARTNERBOT_SWEEP=off")
    saving = commands.add_parser("backup", help="copy the database to FILE while the bot runs (SQLite); "
                                 "on PostgreSQL, print the pg_dump command")
    saving.add_argument("file", type=Path)
    restoring = commands.add_parser("restore", help="put a backup back into the database; refuses one that holds "
                                    "records unless given --replace")
    restoring.add_argument("file", type=Path)
    restoring.add_argument("--replace", action="store_true", help="replace the records the database holds")
    commands.add_parser("doctor", help="check the database, Slack, Matrix and the nudge sweeps, one line each; "
                        "exits 0 only when all is well")
    nudges = commands.add_parser("nudges", help="show the nudges due now and who gets them, and those it would "
                                 "cancel as no longer true, sending nothing; --send sends them")
    sending = nudges.add_mutually_exclusive_group()
    sending.add_argument("--send", action="store_true", help="send what is due now, as `partnerbot tick` does")
    sending.add_argument("--dry-run", action="store_true", help="only show them (the default)")
    exporting = commands.add_parser("export", help="write a partnership's commitments, concerns, decisions (CSV), "
                                    "calendar (iCalendar) and health report (Markdown) to a folder")
    exporting.add_argument("--partnership", help="its name (needed when there are several)")
    exporting.add_argument("--workspace", help="the chat workspace it is in, when names repeat")
    exporting.add_argument("--out", type=Path, help="the folder to write to "
                           "(default: partnerbot-export-<partnership>-<YYYY-MM-DD>)")
    for maintaining in (ticking, nudges, exporting):
        maintaining.add_argument("--create", action="store_true",
                                 help="make the database if there is none yet (default: stop and say so)")
    commands.add_parser("mail-in", help="take one mail from standard input, as a mail server's pipe hands it over "
                        "(a reply to the bot's mail); exits 75 when it should be handed over again")
    serving = commands.add_parser("web", help="serve only the web pages (public pages and dashboard) on PORT",
                                  description=f"Serve only the web pages (public pages and dashboard). {WHERE}")
    serving.add_argument("--port", type=int, help="the port to listen on (default: PORT, or 3000)")
    serving.add_argument("--host", default="0.0.0.0", help="the address to listen on (default: every address, 0.0.0.0)")
    publishing = commands.add_parser("publish", help="write the published public pages and feeds as static files")
    publishing.add_argument("--out", type=Path, default=Path("partnerbot-site"), help="the folder to write to")
    for maintaining in (serving, publishing):
        maintaining.add_argument("--create", action="store_true",
                                 help="make the database if there is none yet (default: stop and say so)")
    commands.add_parser("help", help="show these commands, and how to get help with the chat commands")
    args = parser.parse_args(argv)
    if args.command == "help":
        parser.print_help()
        print(f"\n{CHAT_HELP}")
        return
    settings = load_settings()
    logs.configure(settings)
    user = getattr(args, "user", None) or default_user()
    nudging = getattr(args, "nudges", None)
    try:
        match args.command:
            case "console":
                console(settings, user, nudging)
            case "demo":
                demo(settings, "alice" if args.user is None else user, nudging)
            case "migrate":
                open_database(settings)
                print("The database is up to date.")
            case "tick":
                tick(settings, args.create)
            case "sweeper":
                sweeper(settings)
            case "backup" | "restore":
                from bot import backup

                try:
                    done = backup.backup(settings, args.file) if args.command == "backup" else \
                        backup.restore(settings, args.file, args.replace)
                except backup.Refused as refused:
                    raise SystemExit(str(refused)) from None
                print(done)
            case "doctor":
                from bot import doctor

                sys.exit(doctor.run(settings))
            case "nudges":
                (tick if args.send else dry_run)(settings, args.create)
            case "export":
                export(settings, args.partnership, args.workspace, args.out, args.create)
            case "mail-in":
                sys.exit(mail_in(settings))
            case "web":
                web(settings, args.host, args.port, args.create)
            case "publish":
                publish(settings, args.out, args.create)
            case _:
                run(settings, user, nudging)
    except KeyboardInterrupt:
        sys.exit(130)


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
