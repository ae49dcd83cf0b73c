"""`--parts explain`: every command's statements, as PostgreSQL runs them at this size.

One coordinator of one generated partnership types every command (the script below, in an
order in which each can do its work), through `handlers.handle` like any chat. Each
statement a command sends is recorded with its parameters and then run again under
`EXPLAIN (ANALYZE, BUFFERS)` in a transaction that is rolled back, so the plans are the real
ones, on the real rows. A sequential scan of a large table on a command's path is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, event, select, text

from handlers import Actor, handle
from handlers.registry import COMMANDS
from storage.database import session_factory
from storage.models import ChannelLink, Member, Person, Role

# A table with more rows than this is large: reading all of it on a command's path is a fault.
LARGE = 5_000

ME, THEM, NEW = "me", "them", "new"
# (who, command); {c} is the commitment, {k} the concern, {f} the offer, {d} the proposal and
# {v} the vote this script made, {them}/{new} people's user ids.
SCRIPT: list[tuple[str, str]] = [
    (ME, "help"), (ME, "partnerships"), (ME, "partnership"), (ME, "members"), (ME, "mine"), (ME, "who"),
    (ME, "who leaflets"), (ME, "commitments @{them}"), (ME, "overdue"), (ME, "history"), (ME, "concerns"),
    (ME, "load"), (ME, "flex"), (ME, "flex who time"), (ME, "successors"), (ME, "decisions"), (ME, "priorities"),
    (ME, "review"), (ME, "nudge settings"), (ME, "health"), (ME, "status"), (ME, "export"),
    (ME, 'commit "Explained task" by:friday effort:2h'), (ME, "progress {c} 50%"), (ME, "left {c} 1h"),
    (ME, "edit {c} effort:3h"), (ME, "snooze {c} 3"), (ME, "done {c}"), (ME, 'reopen commitment {c} "By mistake"'),
    (ME, 'drop {c} "Not needed"'), (ME, 'reopen {c} "Needed after all"'), (ME, "reassign {c} @{them}"),
    (THEM, 'decline {c} "Away that week"'), (ME, "reassign {c} @{them}"), (THEM, "accept {c}"),
    (ME, "history {c}"), (ME, 'concern "Explained concern" kind:other'), (ME, "concerns {k}"),
    (ME, 'discuss {k} "Could we split it?"'), (ME, 'resolve {k} "Split it"'), (ME, 'reopen concern {k} "Not kept"'),
    (ME, 'flex time "Two evenings"'), (ME, "flex withdraw {f}"), (ME, "successor coordinator @{them}"),
    (ME, 'priority "Explained priority"'), (ME, 'propose "Explained proposal" mode:consensus closes:friday'),
    (ME, "agree {d}"), (THEM, 'disagree {d} "Costs unclear"'), (THEM, 'block {d} "Breaks the agreement"'),
    (ME, "abstain {d}"), (ME, "decision {d}"), (ME, "close {d}"),
    (ME, 'propose "Explained vote" mode:vote closes:friday'), (ME, "vote {v} yes"), (ME, "withdraw {v}"),
    (ME, "review start"), (ME, "review answer right-time:4 right-people:4 enough-resources:3 enough-time:2 "
                               'right-goal:4 achievable-goal:4 comment:"Stretched"'),
    (ME, 'review close continue "Keep going"'), (ME, "nudge set due_soon_days:3"), (ME, "publish on"),
    (ME, "publish off"), (ME, "dashboard"), (ME, 'member perspective @{them} "local user"'),
    (ME, "tz Europe/London"), (ME, "dates month-first"),
    (ME, "dates day-first"), (ME, "away 2031-01-01 2031-01-05"), (ME, "away off"),
    (ME, 'partnership edit goals:"Footfall up 10%" joining:approval'),
    (NEW, 'join org:"Explained Org" sector:community capacity:2h'), (ME, "approve @{new}"), (NEW, "leave"),
    (ME, 'member add @{new} org:"Explained Org" sector:community capacity:2h'), (ME, "member remove @{new}"),
    (ME, "member role @{them} observer"),
    (ME, 'setup "Explained Partnership" kind:task-force'), (ME, 'use "{name}"'),
    (ME, 'partnership reopen "Not wound up"'),
]
NUMBERS = {"c": r"#(\d+) Explained task", "k": r"#(\d+) Explained concern|Concern #(\d+)",
           "f": r"\(#(\d+)\)", "d": r"#(\d+)[^\n]*Explained proposal", "v": r"#(\d+)[^\n]*Explained vote"}
FIRST = {"c": "commit", "k": "concern", "f": "flex", "d": "propose", "v": "propose"}


@dataclass
class Statement:
    sql: str
    plan: str = ""
    scans: list[str] = field(default_factory=list)
    rows: int = 0
    hit: int = 0
    read: int = 0
    ms: float = 0.0
    seq_large: list[str] = field(default_factory=list)
    # Tables still read whole with sequential scans switched off: no index serves the lookup,
    # which matters once they grow (those the generated network leaves empty included).
    unindexed: list[str] = field(default_factory=list)


@dataclass
class Explained:
    command: str
    typed: str
    outcome: str
    statements: list[Statement]


def cast(engine: Engine) -> dict[str, str]:
    """The user ids to speak as: a coordinator, another active member, and someone new, in one partnership."""
    with engine.connect() as connection:
        partnership_id = connection.scalar(select(ChannelLink.partnership_id).order_by(ChannelLink.id)
                                           .offset(connection.scalar(text("SELECT count(*) / 2 FROM channel_links"))))
        people = connection.execute(select(Person.user_id, Member.role, Person.workspace)
                                    .join(Member, Member.person_id == Person.id)
                                    .where(Member.partnership_id == partnership_id, Member.left_at.is_(None))
                                    .order_by(Member.id)).all()
        channel = connection.scalar(select(ChannelLink.channel).where(ChannelLink.partnership_id == partnership_id))
    me = next(p for p in people if p.role is Role.COORDINATOR)
    them = next(p for p in people if p.role is Role.MEMBER and p.user_id != me.user_id)
    return {ME: me.user_id, THEM: them.user_id, NEW: "UEXPLAINED", "workspace": me.workspace, "channel": channel}


def run_script(engine: Engine) -> Iterator[tuple[str, str, str | None, list[tuple[str, Any]]]]:
    """Each command of the script as run: its name, its text, its refusal if refused, and its statements."""
    sessions = session_factory(engine)
    who = cast(engine)
    seen: list[tuple[str, Any]] = []
    listener = lambda _c, _cur, sql, params, _ctx, _many: seen.append((sql, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    values = {"them": who[THEM], "new": who[NEW], "name": "Explained Partnership"}
    try:
        for speaker, template in SCRIPT:
            typed = template.format(**values)
            channel = who["channel"] if "Explained Partnership" not in typed else "CEXPLAINED"
            actor = Actor("slack", who["workspace"], who[speaker], channel, timezone="Europe/London")
            seen.clear()
            reply = handle(typed, actor, sessions, now=datetime.now(UTC))
            answer = reply.plain()
            for key, pattern in NUMBERS.items():
                if typed.split()[0] == FIRST[key] and (found := re.search(pattern, answer)) and key not in values:
                    values[key] = next(g for g in found.groups() if g)
            command = typed.split()[0] if typed.split()[0] in COMMANDS else " ".join(typed.split()[:2])
            yield command, typed, answer if reply.error else None, list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def explain(engine: Engine) -> list[Explained]:
    sizes = table_sizes(engine)
    results = []
    for command, typed, refusal, statements in run_script(engine):
        outcome = "done" if refusal is None else "refused: " + refusal.split("\n")[0][:100]
        results.append(Explained(command, typed, outcome, [analyse(engine, sql, params, sizes)
                                                          for sql, params in statements if explainable(sql)]))
    return results


def explainable(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def table_sizes(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: int(rows) for name, rows in connection.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"))}


def analyse(engine: Engine, sql: str, params: Any, sizes: dict[str, int]) -> Statement:
    """The statement run again under EXPLAIN (ANALYZE, BUFFERS), its effects rolled back."""
    try:
        document, plan = explained(engine, "ANALYZE, BUFFERS", sql, params)
    except psycopg.Error:  # a write that cannot happen twice (a number already taken): planned, not run
        document, plan = explained(engine, "BUFFERS", sql, params)
        plan = "(not run again: it would clash with the row the command wrote)\n" + plan
    top = document[0]
    found = Statement(" ".join(sql.split()), plan, ms=float(top.get("Execution Time", 0.0)))
    root = top["Plan"]
    found.rows = int(root.get("Actual Rows", 0))
    found.hit, found.read = int(root.get("Shared Hit Blocks", 0)), int(root.get("Shared Read Blocks", 0))
    forced, _ = explained(engine, "COSTS", sql, params, "SET LOCAL enable_seqscan = off")
    found.unindexed = sorted({node["Relation Name"] for node in nodes(forced[0]["Plan"]) if whole(node)})
    for node in nodes(root):
        relation = node.get("Relation Name")
        if relation is None:
            continue
        found.scans.append(f"{relation}: " + reading(node))
        if node["Node Type"] == "Seq Scan" and sizes.get(relation, 0) > LARGE:
            found.seq_large.append(relation)
    return found


def explained(engine: Engine, options: str, sql: str, params: Any,
              setting: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """The plan as JSON and as text, its effects rolled back."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            if setting:
                cursor.execute(setting)
            cursor.execute(f"EXPLAIN ({options}, FORMAT JSON) " + sql, params)
            [[document]] = cursor.fetchall()
            cursor.execute(f"EXPLAIN ({options}) " + sql, params)
            return document, "\n".join(row[0] for row in cursor.fetchall())
        finally:
            transaction.rollback()


def reading(node: dict[str, Any]) -> str:
    """How a plan node reads its table: `by <index>`, `by <index> alone`, or `whole`."""
    if node["Node Type"] == "Seq Scan":
        return "whole"
    return f"by {node.get('Index Name', '?')}" + (" alone" if node["Node Type"] == "Index Only Scan" else "")


def whole(node: dict[str, Any]) -> bool:
    """Whether a plan node looks rows up by reading its whole table: a sequential scan, or an
    index walked end to end, filtering on the way (a join's whole input is not a lookup)."""
    if not node.get("Relation Name") or "Filter" not in node:
        return False
    return node["Node Type"] == "Seq Scan" or ("Index" in node["Node Type"] and "Index Cond" not in node)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def report(n: int, results: list[Explained]) -> str:
    """One row per command typed: its statements, how they read each table, their buffers and
    execution time (the plans in full are in `plans`)."""
    large = [(e.command, s.seq_large) for e in results for s in e.statements if s.seq_large]
    unindexed = sorted({(e.command, t) for e in results for s in e.statements for t in s.unindexed})
    lines = [f"Every command's statements at N = {n:,}, under EXPLAIN (ANALYZE, BUFFERS): "
             f"{sum(len(e.statements) for e in results)} statements of {len(results)} commands typed "
             f"({len({e.command for e in results})} commands). "
             + (f"Sequential scans of large tables: {large}." if large else
                f"No sequential scan of a table over {LARGE:,} rows.")
             + (f" Read whole even with sequential scans switched off (no index serves them): {unindexed}."
                if unindexed else " With sequential scans switched off, an index serves every lookup."), "",
             "| command typed | statements | how each table is read | buffers hit/read | ms |",
             "| --- | ---: | --- | ---: | ---: |"]
    for e in results:
        label = f"`{e.typed[:70]}`" + ("" if e.outcome == "done" else " (refused)")
        scans = sorted({scan for s in e.statements for scan in s.scans})
        lines.append(f"| {label} | {len(e.statements)} | {'; '.join(scans) or '-'} "
                     f"| {sum(s.hit for s in e.statements)}/{sum(s.read for s in e.statements)} "
                     f"| {sum(s.ms for s in e.statements):.2f} |")
    return "\n".join(lines)


def plans(results: list[Explained]) -> str:
    out = []
    for e in results:
        out.append(f"== {e.typed}  [{e.outcome}]")
        for s in e.statements:
            out += [f"-- {s.sql}", s.plan, ""]
    return "\n".join(out)
