"""Goals: shared objectives with indicators, their readings and the work that serves them.

Each goal's indicator is a measure, its baseline, a target and a date; readings record the
measure over time, and commitments serve a goal (`commit ... goal:1`).

Progress, the trend and what counts as stale are worked out in handlers/judgements/indicators.py,
which `goals`, `health` and the pages all read.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import date_hint, show_day
from handlers.describe import commitment_item
from handlers.errors import UserError
from handlers.judgements.indicators import Indicator, figure, in_unit, indicators, indicators_of, set_on, work_by_goal
from handlers.parsing import ID, MAX_NOTE, MAX_TITLE, Args, check_text, clipped, quote, retyped
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage.lines import LINES, lines
from storage.models import Commitment, CommitmentGoal, CommitmentStatus, Goal, GoalReading, Member, Role

# A unit: one word (`hours`, `volunteers`, `m²`) or `%`.
_UNIT = r"%|[^\W\d_][\w'’-]*"
UNIT = re.compile(_UNIT)
_FIGURE = re.compile(r"(-?)(\d{1,3}(?:,\d{3})+|\d{1,13})(?:\.(\d{1,4}))?\s*(" + _UNIT + ")?")
MAX_UNIT = 30
# Units written two ways that are one: `percent` is `%`; `h` is an hour, as the bot writes effort
# (`effort:4h`, `~4h/week`); plurals that no `s`, `es` or `ies` makes.
_SPELLED = {"percent": "%", "pct": "%", "h": "hour", "hr": "hour", "hrs": "hour", "people": "person",
            "children": "child"}
MAX_YEARS = 10
NONE = "none"


def figure_of(raw: str, what: str, typed: str | None = None) -> tuple[Decimal, str | None]:
    """A number as people write it, with its unit if one is written (`1200`, `1,320`, `12.5`, `60%`,
    `500 hours`): (number, unit or None). `typed` is how the command takes it, with `{}` for the number
    (an option, `what:{}`, unless said)."""
    found = _FIGURE.fullmatch(raw.strip())
    if found is None:
        example = typed or f"{what}:{{}}"
        raise UserError(f"`{clipped(raw, 30)}` isn't a number for {what}.",
                        f"Write it like `{example.format(1200)}` or `{example.format(12.5)}`.")
    unit = unit_of(found[4], (typed or f"{what}:{{}}").format('"500 hours"')) if found[4] else None
    return Decimal(f"{found[1]}{found[2].replace(',', '')}.{found[3] or 0}"), unit


def unit_of(raw: str, example: str) -> str:
    """A unit as typed, checked to be one word (or `%`) of at most MAX_UNIT characters; `example` is
    the command to show instead."""
    unit = raw.strip()
    if len(unit) > MAX_UNIT or not UNIT.fullmatch(unit):
        raise UserError(f"`{clipped(unit, 30)}` isn't a unit: a unit is one word of at most {MAX_UNIT} characters, "
                        "like `hours`, `volunteers` or `%`.", f"Write it like `{example}`.")
    return unit


def same_unit(a: str, b: str) -> bool:
    """Whether two units are one word in different forms: case, singular or plural (`Hours`, `hour`;
    `families`, `family`), `percent` for `%`. Nothing converts one unit into another (km into miles)."""
    x, y = (_SPELLED.get(u.casefold(), u.casefold()) for u in (a, b))
    return x == y or y in plurals(x) or x in plurals(y)


def plurals(word: str) -> set[str]:
    """The plurals a word may have by adding to it: `hours`, `buses`, `families`."""
    return {word + "s", word + "es", *([word[:-1] + "ies"] if word.endswith("y") else [])}


def amount(number: Decimal, unit: str | None) -> str:
    """A figure as typed in a command, in its unit: `40%`, `12 hours`, `1250`."""
    return in_unit(f"{number.normalize():f}", unit)


def ensure_in_unit(unit: str | None, given: str | None, which: str, instead: str, edit: str | None = None,
                   also: str = "") -> None:
    """Refuse a figure typed in a unit that isn't its goal's (`unit`, None for a plain number): it would
    count as if in the goal's, 12 km towards 500 hours. A figure with no unit is in the goal's.
    `which` names the goal; `instead` is the command to type instead, with the figure in the goal's unit;
    `edit` (`goal edit 2`), how a coordinator gives a goal of plain numbers the unit typed."""
    if given is None or (unit is not None and same_unit(unit, given)):
        return
    if unit is None:
        offer = (f" If it counts {given}, a coordinator says so first: `{edit} unit:{given}`."
                 if edit and len(given) <= MAX_UNIT and UNIT.fullmatch(given) else "")
        raise UserError(f"{which} counts a plain number, not {clipped(given, 30)}, so nothing changed.",
                        f"Give the number alone: `{instead}`.{also}{offer}")
    raise UserError(f"{which} counts {unit}, not {clipped(given, 30)}, so nothing changed.",
                    f"Give the figure in {unit}: `{instead}`; one unit isn't converted into another.{also}")


def given_unit(args: Args, typed: str) -> str | None:
    """The unit `unit:` gives (`unit:hours`; `unit:none`, a plain number: None); `typed` is the command before it."""
    raw = args.options.get("unit")
    return None if raw is None or raw.casefold() == NONE else unit_of(raw, f"{typed} unit:hours")


def goal_date(ctx: Context, raw: str) -> date:
    """The day a goal's target should be reached: after today, within ten years."""
    day = ctx.day(raw)
    today = ctx.now.astimezone(ctx.tz).date()
    if day <= today:
        raise UserError(f"by:{show_day(day, today)} is not after today; a goal is reached in the future.",
                        f"Give a later date, like `by:{(today + timedelta(days=365)).isoformat()}`. {date_hint(today)}")
    if day > today + timedelta(days=366 * MAX_YEARS):
        raise UserError(f"by:{show_day(day, today)} is more than {MAX_YEARS} years away.", date_hint(today))
    return day


def find_goal(ctx: Context, raw: str) -> Goal:
    """A standing goal of this partnership by its number (`2`, `#2`), for `goal:2` on commitments."""
    found = ID.fullmatch(raw.strip())
    if found is None:
        raise UserError(f"`goal:{raw[:30]}` isn't a goal number.", "Type `goals` to list them with their numbers.")
    goal = ctx.find_row(Goal, int(found[1]), "goal", "goals")
    if goal.dropped_at is not None:
        raise UserError(f"Goal #{goal.number} {goal.title} was dropped, so no work serves it now.",
                        "Type `goals` to see the standing ones.")
    return goal


def serve(ctx: Context, c: Commitment, goal: Goal | None) -> None:
    """Make `c` serve `goal` (None: no goal)."""
    ctx.session.execute(delete(CommitmentGoal).where(CommitmentGoal.commitment_id == c.id))
    if goal is not None:
        ctx.session.add(CommitmentGoal(commitment_id=c.id, partnership_id=c.partnership_id, goal_id=goal.id))
        ctx.session.flush()


def goal_served(session: Session, c: Commitment) -> Goal | None:
    return session.scalar(select(Goal).join(CommitmentGoal, CommitmentGoal.goal_id == Goal.id)
                          .where(CommitmentGoal.commitment_id == c.id))


def goal_line(i: Indicator) -> str:
    """`#1 Footfall up 10% — weekly footfall count: 1,250 now, from 1,200 towards 1,320 ... · at this pace ... ·
    work: 1 open, 2 done`."""
    g = i.goal
    parts = [f"#{g.number} {g.title} — {g.measure}: {i.said()}"]
    pace = i.pace()
    parts.append(pace or "no trend until a reading is taken after the day it was set")
    parts.append(f"work: {i.work.said()}")
    return " · ".join(parts)


def indicator_of(ctx: Context, goal_id: int) -> Indicator:
    """One goal's indicator, in the reader's today."""
    today = ctx.now.astimezone(ctx.tz).date()
    goal = ctx.session.get(Goal, goal_id)
    assert goal is not None
    readings = ctx.session.scalars(select(GoalReading).where(GoalReading.goal_id == goal_id))
    return indicators([goal], readings, work_by_goal(ctx.session, goal.partnership_id, ctx.now), today)[0]


@command(
    "goal",
    usage='goal "What" measure:"..." baseline:<number> target:<number> by:<date> [unit:<word>]',
    examples=('goal "Footfall up 10%" measure:"weekly footfall count" baseline:1200 target:1320 by:"in 9 months"',
              'goal "Volunteer time" measure:"hours given by volunteers" baseline:0 target:"500 hours" by:"in a year"'),
    access=Access.COORDINATOR,
    options=("measure", "baseline", "target", "by", "unit"),
    shows="goals",
)
def set_goal(ctx: Context, args: Args) -> Reply:
    """Set a shared goal with its indicator (coordinators): what is measured, where it starts, its target and date.

    A unit written with the figures (`target:"500 hours"`, `target:60%`) or as `unit:hours` is the goal's:
    readings in another unit are refused. Record the measure with `reading`, and link the work that serves
    it with `commit ... goal:1`."""
    title = args.take_text("goal")
    args.finish()
    missing = [o for o in ("measure", "baseline", "target", "by") if o not in args.options]
    if missing:
        raise UserError(f"A goal needs {', '.join(f'`{o}:`' for o in missing)} too.",
                        'Type `goal "Footfall up 10%" measure:"weekly footfall count" baseline:1200 target:1320 '
                        'by:2027-08-31`.')
    p = ctx.require_partnership()
    measure = check_text(args.options["measure"], "measure", MAX_TITLE)
    (baseline, baseline_unit), (target, target_unit) = (figure_of(args.options[key], key) for key in ("baseline", "target"))
    unit = given_unit(args, f'goal {quote(title)} ...') or target_unit or baseline_unit
    for key, value, given in (("baseline", baseline, baseline_unit), ("target", target, target_unit)):
        ensure_in_unit(unit, given, "This goal", retyped(f"goal {quote(title)}", {**args.options, key: amount(value, unit)}))
    if baseline == target:
        raise UserError(f"The target ({figure(target)}) is where it starts; a goal moves the measure.",
                        f"Give a target above or below the baseline, like `target:{baseline + 1:f}`.")
    goal = Goal(partnership_id=p.id, number=ctx.number(Goal), title=title, measure=measure, baseline=baseline,
                target=target, unit=unit, due_on=goal_date(ctx, args.options["by"]), created_by_id=ctx.person.id,
                created_at=ctx.now)
    ctx.session.add(goal)
    ctx.session.flush()
    i = indicator_of(ctx, goal.id)
    ctx.record("goal", f"set goal #{goal.number} {title}: {measure}, {i.said()}", subject=goal)
    return Reply(title=f"New goal #{goal.number}: {title}", text=f"{measure}: {i.said()}.",
                 actions=[Action("Record a reading", f'reading {goal.number} {baseline.normalize():f} "Where it came from"'),
                          Action("Link work", f'commit "What" by:friday goal:{goal.number}')],
                 audience=Audience.CHANNEL)


@command("goals", usage="goals [number]", examples=("goals", "goals 1"), access=Access.READ, changes=False)
def goals(ctx: Context, args: Args) -> Reply:
    """The shared goals: each indicator's progress towards its target, the trend, and the work serving it; with
    a number, one goal with its readings and its work."""
    number = args.take_id("goal") if args.has_more() else None
    args.finish()
    p = ctx.require_partnership()
    if number is not None:
        return one_goal(ctx, ctx.find_row(Goal, number, "goal", "goals"))
    today = ctx.now.astimezone(ctx.tz).date()
    every = indicators_of(ctx.session, p.id, ctx.now, today, with_dropped=True)
    standing_ones = [Item(goal_line(i), (Action("Details", f"goals {i.goal.number}"),)) for i in every
                     if i.goal.dropped_at is None]
    reply = Reply(title=f"Goals of {p.name}", sections=[Section(None, standing_ones, empty="No goals." if ctx.over else (
        'No goals yet. A coordinator sets one: `goal "Footfall up 10%" measure:"weekly footfall count" '
        'baseline:1200 target:1320 by:2027-08-31`.'))])
    dropped = [Item(f"#{i.goal.number} {i.goal.title}: {i.goal.drop_reason}") for i in every if i.goal.dropped_at]
    if dropped:
        reply.sections.append(Section("Dropped", dropped))
    return reply


def one_goal(ctx: Context, goal: Goal) -> Reply:
    i = indicator_of(ctx, goal.id)
    today = ctx.now.astimezone(ctx.tz).date()
    fields = [("Measure", goal.measure), ("Where it stands", i.said())]
    fields.append(("Trend", i.pace() or "none until a reading is taken after the day it was set"))
    if goal.dropped_at is not None:
        fields.append(("Dropped", goal.drop_reason or ""))
    readings = [Item(f"{show_day(r.taken_on, today)}: {in_unit(figure(r.value, i.places), goal.unit)}"
                     + (f" — {r.note}" if r.note else "")
                     + f" ({r.member.display_name})") for r in reversed(i.readings)]
    work = lines(ctx.session, LINES.join(CommitmentGoal, CommitmentGoal.commitment_id == Commitment.id)
                 .where(CommitmentGoal.goal_id == goal.id, Commitment.status != CommitmentStatus.DROPPED)
                 .order_by(Commitment.status.desc(), Commitment.due_at))
    tz, live = ctx.tz, not ctx.over
    # Work and readings are offered only where they would be taken: a standing goal of a running partnership.
    taking = live and goal.dropped_at is None
    return Reply(title=f"Goal #{goal.number}: {goal.title}", fields=fields, sections=[
        Section(f"Work serving it ({i.work.said()})",
                [commitment_item(c, tz, ctx.now, buttons=ctx.may_change(c), live=live) for c in work],
                empty=f'None yet: `commit "What" by:friday goal:{goal.number}`.' if taking else "None."),
        Section("Readings, newest first", readings, empty=(
            f'None yet: `reading {goal.number} {goal.baseline.normalize():f} "Where it came from"`.' if taking
            else "None.")),
    ])


@command(
    "goal edit",
    usage='goal edit <number> title:"..." measure:"..." unit:<word> baseline:<number> target:<number> by:<date>',
    examples=('goal edit 1 target:1300 by:"in 10 months"', "goal edit 1 unit:volunteers"),
    access=Access.COORDINATOR,
    options=("title", "measure", "unit", "baseline", "target", "by"),
)
def edit_goal(ctx: Context, args: Args) -> Reply:
    """Change a goal's words, unit, baseline, target or date (coordinators); old and new values go in the history.

    `unit:none` makes it a plain number; its readings stay as they are, now read in the new unit."""
    goal = ctx.find_row(Goal, args.take_id("goal"), "goal", "goals")
    args.finish()
    if not args.options:
        raise UserError(f"Say what to change, like `goal edit {goal.number} target:1300`.")
    if goal.dropped_at is not None:
        raise UserError(f"Goal #{goal.number} was dropped; reopen it first, saying why.",
                        f'Type `reopen goal {goal.number} "why"`, then `goal edit {goal.number} ...`.')
    today = ctx.now.astimezone(ctx.tz).date()
    said: list[str] = []
    for key, label in (("title", "title"), ("measure", "measure")):
        if key in args.options:
            new = check_text(args.options[key], label, MAX_TITLE)
            if new != getattr(goal, key):
                said.append(f'{label} "{getattr(goal, key)}" → "{new}"')
                setattr(goal, key, new)
    if "unit" in args.options:
        unit = given_unit(args, f"goal edit {goal.number}")
        if unit != goal.unit:
            said.append(f"unit {goal.unit or NONE} → {unit or NONE}")
            goal.unit = unit
    for key in ("baseline", "target"):
        if key in args.options:
            new_figure, given = figure_of(args.options[key], key)
            head = f"goal edit {goal.number}"
            ensure_in_unit(goal.unit, given, f"Goal #{goal.number} {goal.title}",
                           retyped(head, {**args.options, key: amount(new_figure, goal.unit)}),
                           None if "unit" in args.options else head)
            if new_figure != getattr(goal, key):
                said.append(f"{key} {figure(getattr(goal, key))} → {figure(new_figure)}")
                setattr(goal, key, new_figure)
    if "by" in args.options:
        day = goal_date(ctx, args.options["by"])
        if day != goal.due_on:
            said.append(f"by {show_day(goal.due_on, today)} → {show_day(day, today)}")
            goal.due_on = day
    if goal.baseline == goal.target:
        raise UserError("That makes the target where it starts; a goal moves the measure.",
                        f"Give a target above or below the baseline, like `goal edit {goal.number} "
                        f"target:{goal.baseline + 1:f}`.")
    if not said:
        raise UserError(f"Goal #{goal.number} already reads like that; nothing changed.")
    what = "; ".join(said)
    ctx.record("goal-edit", f"changed goal #{goal.number} {goal.title}: {what}", subject=goal)
    return Reply(text=f"Changed goal #{goal.number} {goal.title}: {what}.", audience=Audience.CHANNEL)


@command("goal drop", usage='goal drop <number> "why"',
         examples=('goal drop 1 "The market moved; footfall is the wrong measure now"',), access=Access.COORDINATOR)
def drop_goal(ctx: Context, args: Args) -> Reply:
    """Stop pursuing a goal, saying why (coordinators): the wrong goal, or one that cannot be reached."""
    goal = ctx.find_row(Goal, args.take_id("goal"), "goal", "goals")
    reason = args.take_text("reason for dropping it", MAX_NOTE)
    args.finish()
    if goal.dropped_at is not None:
        raise UserError(f"Goal #{goal.number} was already dropped: {goal.drop_reason}", "Type `goals` to see them.")
    goal.dropped_at, goal.drop_reason = ctx.now, reason
    ctx.record("goal-drop", f"dropped goal #{goal.number} {goal.title}", subject=goal, reason=reason)
    work = work_by_goal(ctx.session, goal.partnership_id, ctx.now).get(goal.id)
    still = ""
    if work and work.open:
        still = f" Its {plural(work.open, 'open commitment')} {'stays as it is' if work.open == 1 else 'stay as they are'}."
    return Reply(text=f"Dropped goal #{goal.number} {goal.title}: {reason}.{still} Dropped by mistake? "
                      f'`reopen goal {goal.number} "why"` takes it up again.', audience=Audience.CHANNEL)


@command("reopen goal", usage='reopen goal <number> "why"',
         examples=('reopen goal 1 "Dropped by mistake"',), access=Access.COORDINATOR)
def reopen_goal(ctx: Context, args: Args) -> Reply:
    """Pursue a dropped goal again, saying why (coordinators): its readings and the work serving it count again."""
    goal = ctx.find_row(Goal, args.take_id("goal"), "goal", "goals")
    if not args.has_more():
        raise UserError(f'Say why it is reopened, so everyone can see: `reopen goal {goal.number} "why"`.')
    reason = args.take_text("reason", MAX_NOTE)
    args.finish()
    was = goal.drop_reason
    # One conditional update is the check too: of two coordinators reopening it at once, one is told it stands.
    reopened = ctx.session.execute(update(Goal).where(Goal.id == goal.id, Goal.dropped_at.is_not(None))
                                   .values(dropped_at=None, drop_reason=None)
                                   .execution_options(synchronize_session="fetch"))
    if reopened.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(f"Goal #{goal.number} {goal.title} is not dropped, so there is nothing to reopen.",
                        f"Type `history goal {goal.number}` to see what became of it.")
    ctx.record("goal-reopen", f"reopened goal #{goal.number} {goal.title}, dropped as: {was}", subject=goal, reason=reason)
    i = indicator_of(ctx, goal.id)
    return Reply(text=f"Goal #{goal.number} {goal.title} is pursued again: {reason}. {goal.measure}: {i.said()}; "
                      f"work: {i.work.said()}.", audience=Audience.CHANNEL)


@command(
    "reading",
    usage='reading <goal> <value> [unit] ["note"] [on:<date>]',
    examples=('reading 1 1250 "Count on 3 May"', 'reading 1 1275 "The fair weekend" on:yesterday',
              'reading 2 12 hours "From the rota"'),
    options=("on",),
)
def reading(ctx: Context, args: Args) -> Reply:
    """Record a goal's measure on a day (today unless on: says otherwise), with a note of where it came from.

    A figure is in the goal's unit; a word right after it is its unit (`12 hours`), refused if it is not the
    goal's, so a note goes in quotes. A goal has one reading a day: a different figure for a day already read
    replaces it (whoever entered it, or a coordinator), and the same figure again is refused."""
    goal = ctx.find_row(Goal, args.take_id("goal"), "goal", "goals")
    if not args.has_more():
        raise UserError(f"Say the value, like `reading {goal.number} 1250 \"Count on 3 May\"`.")
    value, unit = figure_of(args.take_word("value"), "the reading", f"reading {goal.number} {{}}")
    # An unquoted word after the figure is its unit: taken as the start of a note, `12 km` counted 12 hours.
    apart = args.take_word("unit") if unit is None and args.has_more() and not args.words[0].quoted \
        and UNIT.match(args.words[0].text) else None
    unit = unit or apart
    # Plain words after a unit typed apart may be the rest of a note begun with it, left unquoted.
    loose = apart is not None and args.has_more() and not args.words[0].quoted
    note = args.optional_text("note", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    if goal.dropped_at is not None:
        raise UserError(f"Goal #{goal.number} {goal.title} was dropped, so it takes no readings.",
                        "Type `goals` to see the standing ones.")
    on_typed = args.options.get("on")
    # A word typed apart that may have begun an unquoted note: quoting it is offered, rather than it as a unit.
    as_note = " ".join(w for w in (apart, note) if w)
    if_note = (f" A note goes in quotes: `{typed_reading(goal, amount(value, None), as_note, on_typed)}`."
               if apart and apart[0].isalpha() and len(apart) <= MAX_UNIT and (loose or note is None) else "")
    ensure_in_unit(goal.unit, unit, f"Goal #{goal.number} {goal.title}",
                   typed_reading(goal, amount(value, goal.unit), None if loose else note, on_typed),
                   None if loose else f"goal edit {goal.number}", if_note)
    today = ctx.now.astimezone(ctx.tz).date()
    on = ctx.day(args.options["on"]) if "on" in args.options else today
    if on > today:
        raise UserError(f"{show_day(on, today)} is still to come; a reading is of a day that has been.",
                        f"Give the day it was taken, like `on:yesterday` or `on:{today.isoformat()}`.")
    baseline_day = set_on(goal)
    if on < baseline_day:
        # Its baseline stands on the day it was set, so an earlier reading would make a trend run backwards.
        raise UserError(f"Goal #{goal.number} was set {show_day(baseline_day, today)}, with its baseline then; a reading of "
                        f"{show_day(on, today)} comes before it.",
                        f"Give a day from {show_day(baseline_day, today)} on; a better starting figure goes in the baseline: "
                        f"`goal edit {goal.number} baseline:{figure(value)}`.")
    earlier = replaced_reading(ctx, goal, member, on, value)
    row = GoalReading(partnership_id=goal.partnership_id, goal_id=goal.id, member_id=member.id, value=value,
                      taken_on=on, note=note, created_at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()
    i = indicator_of(ctx, goal.id)
    replacing = f", replacing {figure(earlier.value)} ({earlier.member.display_name}'s)" if earlier else ""
    ctx.record("reading", f"recorded {figure(value, i.places)} for goal #{goal.number} {goal.title} on "
                          f"{on.isoformat()}{replacing}", subject=goal, reason=note)
    pace = i.pace()
    replaced = (f" It replaces {figure(earlier.value)} of {show_day(on, today)} ({earlier.member.display_name}'s); "
                f"`reading undo {goal.number}` brings that back." if earlier else "")
    return Reply(text=f"Goal #{goal.number} {goal.title}: {i.said()}." + (f" {pace[0].upper()}{pace[1:]}." if pace else "")
                 + replaced, audience=Audience.CHANNEL)


def typed_reading(goal: Goal, typed_figure: str, note: str | None, on: str | None) -> str:
    """`reading 2 12 hours "From the rota" on:yesterday`: a reading as a refusal suggests typing it."""
    return retyped(f"reading {goal.number} {typed_figure}" + (f" {quote(note)}" if note else ""), {"on": on} if on else {})


def replaced_reading(ctx: Context, goal: Goal, member: Member, on: date, value: Decimal) -> GoalReading | None:
    """The reading of that day a new figure replaces, set aside (None: the day has none); the same figure
    again is refused, as the measure has one value a day and the trend counts each day once. It is set
    aside at the moment the new one is recorded, which is how `reading undo` finds it to count again."""
    earlier = ctx.session.scalar(select(GoalReading).where(GoalReading.goal_id == goal.id, GoalReading.taken_on == on,
                                                           GoalReading.undone_at.is_(None))
                                 .order_by(GoalReading.id.desc()).limit(1))
    if earlier is None:
        return None
    today = ctx.now.astimezone(ctx.tz).date()
    day, n = show_day(on, today), goal.number
    correct = f"`reading {n} <right figure> on:{on.isoformat()}` replaces it"
    if earlier.value == value:
        undo = f"; `reading undo {n}` takes it back" if latest_reading(ctx, goal) is earlier else ""
        raise UserError(f"Goal #{n} already has {figure(value)} for {day}, recorded by {earlier.member.display_name}; "
                        "nothing changed.", f"If it is wrong, {correct}{undo}.")
    ensure_may_correct(member, earlier, f"Goal #{n}'s reading of {day} ({figure(earlier.value)})", "replace",
                       f"Ask them or a coordinator: {correct}.")
    earlier.undone_at = ctx.now
    return earlier


def latest_reading(ctx: Context, goal: Goal) -> GoalReading | None:
    """The goal's counted reading entered last, which `reading undo` takes back."""
    return ctx.session.scalar(select(GoalReading).where(GoalReading.goal_id == goal.id, GoalReading.undone_at.is_(None))
                              .order_by(GoalReading.created_at.desc(), GoalReading.id.desc()).limit(1))


def ensure_may_correct(member: Member, r: GoalReading, which: str, verb: str, hint: str) -> None:
    """Only whoever entered a reading, or a coordinator, corrects it: a partner's count is theirs to stand by."""
    if r.member_id != member.id and member.role is not Role.COORDINATOR:
        raise UserError(f"{which} is {r.member.display_name}'s; only they or a coordinator can {verb} it.", hint)


@command("reading undo", usage="reading undo <goal>", examples=("reading undo 1",))
def undo_reading(ctx: Context, args: Args) -> Reply:
    """Undo a goal's latest reading, entered by mistake (whoever entered it, or a coordinator); the record keeps it.

    Undoing a figure that replaced another for its day brings that one back."""
    goal = ctx.find_row(Goal, args.take_id("goal"), "goal", "goals")
    args.finish()
    member = ctx.require_member()
    latest = latest_reading(ctx, goal)
    if latest is None:
        raise UserError(f"Goal #{goal.number} has no reading to undo.", f"Type `goals {goal.number}` to see it.")
    ensure_may_correct(member, latest, f"The latest reading of goal #{goal.number}", "undo",
                       f"Type `goals {goal.number}` to see its readings.")
    # The figure it replaced was set aside the moment it was recorded (see replaced_reading): it counts again.
    replaced = ctx.session.scalar(select(GoalReading).where(
        GoalReading.goal_id == goal.id, GoalReading.taken_on == latest.taken_on, GoalReading.id < latest.id,
        GoalReading.undone_at == latest.created_at).order_by(GoalReading.id.desc()).limit(1))
    latest.undone_at = ctx.now
    back = ""
    if replaced is not None:
        replaced.undone_at = None
        back = f", and {figure(replaced.value)}, which it replaced, counts again"
    today = ctx.now.astimezone(ctx.tz).date()
    said = f"{figure(latest.value)} of {show_day(latest.taken_on, today)}"
    ctx.record("reading-undo", f"undid the reading {said} of goal #{goal.number} {goal.title}{back}", subject=goal)
    return Reply(text=f"Undid the reading {said} of goal #{goal.number} {goal.title}{back}; it is now at "
                      f"{indicator_of(ctx, goal.id).said()}.", audience=Audience.CHANNEL)
