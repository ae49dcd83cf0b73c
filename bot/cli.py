"""The `partnerbot` command: run the bot, the console chat, the demo, or maintenance."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from storage.database import make_engine, session_factory, upgrade


def open_database(settings: Settings) -> sessionmaker[Session]:
    """Connect and bring the schema up to date, as every start does."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return session_factory(engine)


def console(settings: Settings, user: str) -> None:
    from bot.console import Console

    Console(open_database(settings), user, settings.timezone).run()


def run(settings: Settings, user: str) -> None:
    """Start every platform whose settings are present; with none, the console chat."""
    if not (settings.slack_enabled or settings.matrix_enabled):
        console(settings, user)
        return
    raise SystemExit("Slack and Matrix adapters are not built yet; unset their settings to use the console.")


def demo(settings: Settings, user: str) -> None:
    from bot.console import Console
    from bot.demo import NAME, load_demo

    sessions = open_database(settings)
    if load_demo(sessions):
        print(f"Loaded the sample {NAME}. Try `partnership`, `who`, `load`, `concerns 1`, `as bob`, `mine`.")
    else:
        print(f"The sample {NAME} is already loaded.")
    Console(sessions, user, settings.timezone).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="partnerbot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    for name, text in (("run", "start every configured platform (the console when none is)"),
                       ("console", "chat in the terminal; reads standard input when it is not a terminal"),
                       ("demo", "load a sample town partnership, then open the console")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--as", dest="user", default=None, help="who you are in the console (default: your login)")
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    user = getattr(args, "user", None) or default_user()
    try:
        match args.command:
            case "console":
                console(settings, user)
            case "demo":
                demo(settings, "alice" if args.user is None else user)
            case "migrate":
                open_database(settings)
                print("The database is up to date.")
            case _:
                run(settings, user)
    except KeyboardInterrupt:
        sys.exit(130)


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
