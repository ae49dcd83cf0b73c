"""A generated regional network: N partnerships with members, years of history and open work.

Proportions follow a real town network: 8-20 members each (some of them volunteers and
observers), people sitting in one to three partnerships of their region's workspace, about
forty commitments a year (most done, some dropped, a handful open and some overdue), a
dozen concerns a year with their discussion, priorities with their history, flexibility
offers, the event log of it all, and the nudges already sent. Rows go in with bulk Core
inserts and explicit ids, so a thousand partnerships take seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, inspect, select, text

from storage.models import (
    ChannelLink,
    Commitment,
    Concern,
    ConcernNote,
    Event,
    Flexibility,
    Member,
    Nudge,
    NudgeSettings,
    Partnership,
    Person,
    Priority,
    Role,
    Snooze,
)

PLATFORM = "slack"
PARTNERSHIPS_PER_WORKSPACE = 10
PEOPLE_PER_WORKSPACE = 80
ZONES = ["Europe/London", "Europe/London", "Europe/Dublin", "Europe/Paris", "America/New_York", "UTC"]
KINDS = ["steering-group", "task-force", "development-trust", "umbrella-forum", "project"]
SECTORS = ["public", "private", "voluntary", "community"]
# The title the benchmark's own `commit`s start with, so a kept database can forget them.
BENCH_TASK = "Bench task"
TASKS = ["Deliver leaflets", "Book the hall", "Draft the grant bid", "Survey shopkeepers", "Plant the planters",
         "Update the website", "Chase the council", "Count footfall", "Recruit stewards", "Write the newsletter"]


def workspace(index: int) -> str:
    return f"T{index // PARTNERSHIPS_PER_WORKSPACE:04d}"


def channel(index: int) -> str:
    return f"C{index:05d}"


def user(workspace_id: str, number: int) -> str:
    return f"U{workspace_id[1:]}{number:03d}"


@dataclass
class Rows:
    """Rows per table, the next id of each, and each partnership's next number of each."""

    tables: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    ids: dict[Table, int] = field(default_factory=dict)
    numbers: dict[tuple[Table, int], int] = field(default_factory=dict)

    def add(self, model: type, **values: Any) -> int:
        table: Table = model.__table__  # type: ignore[attr-defined]
        if "id" in table.c and "id" not in values:
            values["id"] = self.ids[table] = self.ids.get(table, 0) + 1
        if "number" in table.c and "number" not in values:
            key = (table, values["partnership_id"])
            values["number"] = self.numbers[key] = self.numbers.get(key, 0) + 1
        self.tables.setdefault(table, []).append(values)
        return int(values.get("id", 0))

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


@dataclass(frozen=True)
class Partner:
    """What the benchmark needs to know to speak as someone: where they sit."""

    workspace: str
    channel: str
    user_id: str


def generate(n: int, now: datetime, seed: int = 7) -> tuple[Rows, list[Partner]]:
    """The rows of `n` partnerships as of `now`, and one speaker per active membership."""
    rng = random.Random(seed)
    rows = Rows()
    speakers: list[Partner] = []
    people: dict[str, list[int]] = {}
    for index in range(n):
        team = workspace(index)
        if team not in people:
            people[team] = [rows.add(Person, platform=PLATFORM, workspace=team, user_id=user(team, k),
                                     display_name=f"Person {team}-{k}", timezone=rng.choice(ZONES))
                            for k in range(PEOPLE_PER_WORKSPACE)]
        speakers += partnership(rows, rng, index, team, people[team], now)
    return rows, speakers


def ending(last: datetime | None) -> dict[str, date | datetime | None]:
    """A partnership's end date, and the moment it is over (UTC's midnight after it), or none."""
    if last is None:
        return {"end_date": None, "ends_at": None}
    return {"end_date": last.date(), "ends_at": datetime.combine(last.date() + timedelta(days=1), time(), UTC)}


def partnership(rows: Rows, rng: random.Random, index: int, team: str, pool: list[int],
                now: datetime) -> Iterator[Partner]:
    age = timedelta(days=rng.randint(120, 5 * 365))
    born = now - age
    kind = rng.choice(KINDS)
    pid = rows.add(Partnership, platform=PLATFORM, workspace=team, name=f"Town {index}", name_key=f"town {index}",
                   kind=kind, formality="informal", purpose="Revive the high street", created_at=born,
                   **ending(now + timedelta(days=rng.randint(10, 400)) if kind == "project" else None),
                   review_cadence="quarterly", next_review_on=(now + timedelta(days=rng.randint(-20, 80))).date())
    rows.add(ChannelLink, platform=PLATFORM, workspace=team, channel=channel(index), partnership_id=pid)
    if rng.random() < 0.1:
        rows.add(NudgeSettings, partnership_id=pid, due_soon_days=3, daily_cap=5, updated_at=born)
    chosen = rng.sample(range(len(pool)), rng.randint(8, 20))
    members: list[int] = []
    organisations: dict[int, str] = {}  # what each spoke for, stamped on the work they did
    for position, k in enumerate(chosen):
        role = "coordinator" if position < 2 else ("observer" if rng.random() < 0.1 else "member")
        left = born + age * rng.random() if position >= 2 and rng.random() < 0.15 else None
        mid = rows.add(Member, partnership_id=pid, person_id=pool[k], role=role, organisation=f"Org {k}",
                       sector=rng.choice(SECTORS), volunteer=rng.random() < 0.5,
                       capacity_hours=float(rng.choice([2, 3, 4, 6, 8])), joined_at=born, left_at=left)
        rows.add(Event, partnership_id=pid, actor_id=pool[k], action="join", summary="joined", created_at=born)
        if left is None and role != "observer":
            members.append(mid)
            organisations[mid] = f"Org {k}"
            yield Partner(team, channel(index), user(team, k))
        # A priority a year, each replacing the one before; someone who left took theirs into
        # the history when they left (as handlers/priorities.py keeps them).
        ends = left or now
        stated = [born + timedelta(days=365 * year + rng.randint(0, 300)) for year in range(age.days // 365 + 1)]
        stated = [moment for moment in stated if moment < ends]
        for year, set_at in enumerate(stated):
            replaced = stated[year + 1] if year + 1 < len(stated) else left
            rows.add(Priority, partnership_id=pid, member_id=mid, text=f"Priority {year}", set_at=set_at,
                     replaced_at=replaced)
        if rng.random() < 0.3:
            rows.add(Flexibility, partnership_id=pid, member_id=mid, dimension=rng.choice(["time", "money"]),
                     text="A few more hours in spring", created_at=born, withdrawn_at=None)
    years = age.days / 365
    for _ in range(int(40 * years)):
        commitment(rows, rng, pid, members, organisations, pool, born, now, closed=True)
    for _ in range(rng.randint(4, 14)):
        commitment(rows, rng, pid, members, organisations, pool, born, now, closed=False)
    for number in range(int(12 * years) + 2):
        created = born + (now - born) * rng.random()
        open_ = number < 2
        cid = rows.add(Concern, partnership_id=pid, raised_by_id=rng.choice(members), title="Budget split",
                       kind="resources", severity="medium", status="open" if open_ else "resolved",
                       resolution=None if open_ else "Split 50/50", created_at=created,
                       resolved_at=None if open_ else created + timedelta(days=9))
        for _ in range(2):
            rows.add(ConcernNote, concern_id=cid, author_id=rng.choice(pool), text="Could we split it?",
                     created_at=created + timedelta(days=1))
        rows.add(Event, partnership_id=pid, actor_id=None, action="concern", subject_kind="concern", subject_id=cid,
                 summary="raised", created_at=created)


def commitment(rows: Rows, rng: random.Random, pid: int, members: list[int], organisations: dict[int, str],
               pool: list[int], born: datetime, now: datetime, closed: bool) -> None:
    created = born + (now - born) * rng.random() if closed else now - timedelta(days=rng.randint(1, 60))
    due = created + timedelta(days=rng.randint(3, 40)) if closed else now + timedelta(days=rng.randint(-10, 30))
    status = ("done" if rng.random() < 0.85 else "dropped") if closed else "open"
    closed_at = min(now, due + timedelta(days=rng.randint(-3, 5))) if closed else None
    owner = rng.choice(members)
    cid = rows.add(Commitment, partnership_id=pid, owner_id=owner, title=rng.choice(TASKS),
                   due_at=due, effort_hours=float(rng.choice([1, 2, 3, 4])), status=status,
                   created_by_id=rng.choice(pool), created_at=created, closed_at=closed_at,
                   delivered_for=organisations[owner] if status == "done" else None)
    rows.add(Event, partnership_id=pid, actor_id=rng.choice(pool), action="commit", subject_kind="commitment", subject_id=cid,
             summary=f"#{cid}", created_at=created)
    if closed:
        rows.add(Event, partnership_id=pid, actor_id=rng.choice(pool), action=status, subject_kind="commitment", subject_id=cid,
                 summary=f"#{cid}", created_at=closed_at)
        if due < now - timedelta(days=1):
            rows.add(Nudge, key=f"due-soon:c{cid}:{due:%Y-%m-%d}:history", partnership_id=pid, kind="due-soon",
                     person_id=rng.choice(pool), channel=None, text="It is due.", created_at=due - timedelta(days=2),
                     sent_at=due - timedelta(days=2), attempts=0)
    elif rng.random() < 0.1:
        rows.add(Snooze, commitment_id=cid, until=now + timedelta(days=3), by_id=rng.choice(pool), created_at=now)


def load(engine: Engine, rows: Rows) -> None:
    """Insert every row (parents first), then move PostgreSQL's id sequences past them."""
    with engine.begin() as connection:
        for table in sorted(rows.tables, key=ORDER.index):
            columns = set().union(*rows.tables[table])  # executemany wants every row to name every column
            batch = [dict.fromkeys(columns) | row for row in rows.tables[table]]
            for start in range(0, len(batch), 5000):
                connection.execute(insert(table), batch[start:start + 5000])
        if engine.dialect.name == "postgresql":
            for table in rows.ids:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT max(id) FROM {table.name}))"))


ORDER: list[Table] = [m.__table__ for m in (  # type: ignore[attr-defined]
    Person, Partnership, ChannelLink, NudgeSettings, Member, Priority, Flexibility, Commitment, Snooze, Concern,
    ConcernNote, Event, Nudge)]



# A filled database kept for later runs (`python -m bench --reuse`) says what it holds here.
FILLS = "bench_fill"


def record_fill(engine: Engine, n: int, rows: int, seconds: float) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {FILLS} (n INTEGER, row_count INTEGER, seconds FLOAT)"))
        connection.execute(text(f"DELETE FROM {FILLS}"))
        connection.execute(text(f"INSERT INTO {FILLS} VALUES (:n, :rows, :seconds)"),
                           {"n": n, "rows": rows, "seconds": seconds})


def forget_bench_tasks(engine: Engine) -> None:
    """Delete the commitments an earlier benchmark run logged (what hangs on them goes with them)."""
    with engine.begin() as connection:
        connection.execute(delete(Commitment).where(Commitment.title.startswith(f"{BENCH_TASK} ")))


def filled(engine: Engine, n: int) -> tuple[int, float] | None:
    """The rows and load seconds of an earlier fill of `n` partnerships, if this database holds one."""
    with engine.connect() as connection:
        if FILLS not in inspect(connection).get_table_names():
            return None
        found = connection.execute(text(f"SELECT row_count, seconds FROM {FILLS} WHERE n = :n"), {"n": n}).first()
    return (int(found[0]), float(found[1])) if found else None


def speakers_in(engine: Engine) -> list[Partner]:
    """One speaker per active membership (observers aside), as `generate` made them."""
    query = (select(Person.workspace, ChannelLink.channel, Person.user_id)
             .join(Member, Member.person_id == Person.id)
             .join(ChannelLink, ChannelLink.partnership_id == Member.partnership_id)
             .where(Member.left_at.is_(None), Member.role != Role.OBSERVER, Person.platform == PLATFORM)
             .order_by(Member.id))
    with engine.connect() as connection:
        return [Partner(*row) for row in connection.execute(query)]
