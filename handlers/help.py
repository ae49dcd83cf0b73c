"""Help: every command, with an example, read from the commands themselves."""

from __future__ import annotations

from handlers.context import Context
from handlers.dates import date_hint
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import COMMANDS, HANDING_OVER, Access, Command, canonical, command, subcommands, suggest
from handlers.reply import Item, Reply, Section

# The order a newcomer needs them in: set up, join, then do the work.
TOPICS = ["partnerships", "rooms", "members", "accounts", "terms", "commitments", "handover", "decline", "reopen", "goals",
          "concerns", "flexibility", "contributions", "priorities", "load", "away", "decisions", "proxies", "interests", "poll",
          "agenda", "minutes", "reviews", "ending",
          "succession", "health", "status", "history", "exports", "publishing", "dashboard", "nudges", "notify", "help"]

WHO = {
    Access.ANYONE: "anyone",
    Access.READ: "anyone in the workspace, observers included",
    Access.MEMBER: "members and coordinators",
    Access.COORDINATOR: "coordinators",
}


@command("help", usage="help [command]", examples=("help", "help commit"), access=Access.ANYONE, aliases=("?",), changes=False)
def help_command(ctx: Context, args: Args) -> Reply:
    """List every command, or explain one with its examples and sub-commands."""
    name = " ".join(" ".join(t.text.lower() for t in args.words[:2]).split())  # `help ""` is plain `help`
    args.words.clear()
    if name:
        first = canonical(name.split()[0])
        cmd = COMMANDS.get(name) or COMMANDS.get(first)
        if cmd is None and (name in HANDING_OVER or name.split()[0] in HANDING_OVER):
            raise UserError(f"There is no command `{name[:40]}`.", "To hand work to a member here: `help reassign`; to an "
                            "organisation outside the partnership: `help hand on`.")
        if cmd is None and subcommands(first):
            return Reply(title=f"{first} commands", sections=[Section(None, [overview(c) for c in subcommands(first)])])
        if cmd is None:
            close = suggest(name)
            raise UserError(f"There is no command `{name[:40]}`." + (f" Did you mean `{close}`?" if close else ""),
                            "Type `help` to see them all.")
        fields = [("Type", f"`{cmd.usage}`"), ("Who", cmd.who or WHO[cmd.access])]
        sections = [Section("Examples", [Item(f"`{e}`") for e in cmd.examples])]
        if subcommands(cmd.name):
            sections.append(Section("Sub-commands", [Item(f"`{sub.name}` — {sub.summary}") for sub in subcommands(cmd.name)]))
        return Reply(title=cmd.name, text="\n".join(filter(None, [cmd.summary, cmd.details])),
                     fields=fields, sections=sections)
    by_topic: dict[str, list[Item]] = {}
    for cmd in sorted(COMMANDS.values(), key=lambda c: TOPICS.index(c.func.__module__.rsplit(".", 1)[-1])):
        by_topic.setdefault(cmd.topic, []).append(overview(cmd))
    return Reply(
        title="partnerbot commands",
        text=f"Type `help <command>` for details. {date_hint(ctx.now.astimezone(ctx.tz).date())} 31/03/2027 is "
             "read day first unless you type `dates month-first`. In a direct message, or another partnership's "
             'channel, add `in:"Partnership name"` to a command to say which of yours it is for.',
        sections=[Section(topic, items) for topic, items in by_topic.items()],
    )


def overview(cmd: Command) -> Item:
    """One line of the command list: an example to copy, and what it does."""
    return Item(f"`{cmd.examples[0]}` — {cmd.summary}")
