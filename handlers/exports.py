"""Exports: the partnership's records as files other tools read (CSV, iCalendar, Markdown).

Accountability reaches beyond the chat: a town council wants the commitments in a
spreadsheet, partners want the due dates and reviews in their calendars, and the health
check belongs in the minutes. Anonymous concerns stay anonymous here too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from defusedcsv import csv
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import life
from handlers.agreement.overview import Framework, framework
from handlers.agreement.terms import SECTIONS, state_said
from handlers.context import Context, zone
from handlers.dates import show_at
from handlers.decisions import as_counted, closing, hidden
from handlers.describe import due_day, lateness, member_label, outcome
from handlers.errors import UserError
from handlers.health import Health, check
from handlers.judgements.balance import HEAD
from handlers.judgements.contributions import partner_of, pledge_said, quantity
from handlers.judgements.indicators import figure, indicators_of
from handlers.judgements.load import hours_left
from handlers.judgements.signoff import signatures_of, standing_of
from handlers.meetings.calendar import calendar_domain, meeting_events
from handlers.meetings.record import taken_at
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Attachment, Reply, plural
from storage import queries
from storage.models import (
    AgreementVersion,
    Commitment,
    CommitmentGoal,
    CommitmentStatus,
    Concern,
    Decision,
    DecisionStatus,
    Delivery,
    Goal,
    GoalReading,
    Interest,
    PartnerOrganisation,
    Partnership,
    Person,
    Pledge,
    Position,
)

CSV = "text/csv"


def stamp(moment: datetime | None, tz: ZoneInfo) -> str:
    """A moment as a spreadsheet shows it, to the minute in the export's zone (`2026-11-30 14:05`);
    each row names the zone in its `time_zone` column."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def file_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """A moment as a Markdown file for people shows it: passed on, it is read anywhere, so it says
    its year and zone (`Mon 30 Nov 2026 14:05 GMT`); a spreadsheet's `stamp` has a zone column instead."""
    return show_at(moment, tz, moment, shared=True) if moment else ""


def folder_name(p: Partnership, day: date) -> str:
    """Where one export's files go, the same from the command line and the console:
    `partnerbot-export-riverside-partnership-2026-11-30`."""
    slug = re.sub(r"\W+", "-", p.name.casefold()).strip("-_")[:60].strip("-_") or f"partnership-{p.id}"
    return f"partnerbot-export-{slug}-{day.isoformat()}"


# A cell a spreadsheet would read as a formula, even behind leading tabs, returns or spaces
# (defusedcsv looks at the first character only).
_FORMULA = re.compile(r"[\t\r\n ]*[=+\-@]")


def defused(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made plain text with a leading `'`."""
    return "'" + value if isinstance(value, str) and _FORMULA.match(value) else value


def csv_file(filename: str, header: list[str], rows: Iterable[list[object]]) -> Attachment:
    """A CSV file; defusedcsv's writer and `defused` keep a title like `=HYPERLINK(...)`
    text, not a formula, in spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([defused(value) for value in row] for row in rows)
    return Attachment(filename, CSV, out.getvalue().encode())


def commitments_csv(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> Attachment:
    """Every commitment; `days_late` is how late it is now (open past its due date, as `overdue`
    counts) or was when done, the figure the public page gives."""
    rows = session.scalars(select(Commitment).where(Commitment.partnership_id == p.id).order_by(Commitment.id))
    goals = dict(session.execute(select(CommitmentGoal.commitment_id, Goal.number)
                                 .join(Goal, Goal.id == CommitmentGoal.goal_id)
                                 .where(CommitmentGoal.partnership_id == p.id)).all())
    return csv_file("commitments.csv", [
        "number", "title", "owner", "organisation", "status", "due_date", "effort_hours", "hours_left", "created_at",
        "closed_at", "time_zone", "days_late", "note", "drop_reason", "handed_to", "goal",
    ], ([c.number, c.title, c.owner.person.display_name, c.owner.organisation or "", outcome(c),
         due_day(c).isoformat(), "" if c.effort_hours is None else c.effort_hours,
         "" if c.status is not CommitmentStatus.OPEN else hours_left(c), stamp(c.created_at, tz),
         stamp(c.closed_at, tz), tz.key, "" if c.status is CommitmentStatus.DROPPED else lateness(c, now),
         c.done_note or "", c.drop_reason or "", c.handed_to or "", goals.get(c.id, "")] for c in rows))


def concerns_csv(session: Session, p: Partnership, tz: ZoneInfo) -> Attachment:
    rows = session.scalars(select(Concern).where(Concern.partnership_id == p.id).order_by(Concern.id)).unique()
    return csv_file("concerns.csv", [
        "number", "title", "kind", "severity", "status", "raised_by", "raised_at", "resolved_at", "time_zone", "resolution",
    ], ([c.number, c.title, c.kind.value, c.severity.value, c.status.value,
         member_label(c.raised_by) if c.raised_by else "anonymous", stamp(c.created_at, tz), stamp(c.resolved_at, tz),
         tz.key, c.resolution or ""] for c in rows))


def decisions_csv(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> Attachment:
    """Every decision; one past its closing time whose outcome is still to be recorded reads
    `closing`, as the chat shows it, never `open`. `responses`, `entitled` and `blocks` are the
    responses that counted (`decisions.as_counted`), as the chat's outcome and the public page
    give them; `not_counted` names who responded without counting. One taken at a meeting was
    counted in the room: its minutes say how many could decide it."""
    rows = list(session.scalars(select(Decision).where(Decision.partnership_id == p.id).order_by(Decision.id)).unique())
    counts = as_counted(session, p, rows, now)
    in_room = taken_at(session, [d.id for d in rows if d.status is not DecisionStatus.OPEN])

    def blocks(d: Decision) -> str:
        if hidden(d):
            return ""
        return "; ".join(f"{member_label(r.member)}: {r.reason}" for r in counts[d.id].counted
                         if r.position is Position.BLOCK)

    return csv_file("decisions.csv", [
        "number", "title", "mode", "status", "proposed_by", "responses", "blocks", "outcome", "closes_at", "closed_at",
        "time_zone", "entitled", "not_counted",
    ], ([d.number, d.title, d.mode.value, "closing" if closing(d, now) else d.status.value, member_label(d.proposer),
         len(counts[d.id].counted), blocks(d), d.outcome or "", stamp(d.closes_at, tz), stamp(d.closed_at, tz), tz.key,
         "" if d.id in in_room else counts[d.id].entitled,
         "; ".join(member_label(r.member) for r in counts[d.id].not_counted)] for d in rows))


def calendar_ics(session: Session, p: Partnership, now: datetime, names: bool = True,
                 words: Callable[[str], str] = str, stamp: datetime | None = None) -> Attachment:
    """Due dates, the next review and the end date as all-day events calendar apps import, and the meetings.

    UIDs name what an event is about by its number in the partnership, not when, so importing
    a newer export (or the public page's calendar subscription, the same events) moves an event
    instead of adding a second one; each ends with the partnership's `calendar_domain`. Without
    `names`, events say which organisation, not who; `words` reads each text as the page shows
    it (names taken out). Once over (wound up, or past its end date) it promises nothing
    more, as the page and `status` do: only closing tasks, marked so, and no review; a wind-up
    moves the end event to its day. Every event is stamped `stamp` (by default `now`)."""
    stamp = stamp or now
    over = p.over(now)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//partnerbot//partnership export//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", words(p.name))
    domain = calendar_domain(p)

    def event(uid: str, day: date, summary: str, description: str) -> None:
        e = icalendar.Event()
        e.add("uid", f"{uid}@{domain}")
        e.add("dtstamp", stamp)
        e.add("dtstart", day)
        e.add("dtend", day + timedelta(days=1))
        e.add("summary", summary)
        e.add("description", description)
        cal.add_component(e)

    wound_up = life.wind_up_review(session, p) if p.closed_at else None
    for c in session.scalars(select(Commitment).where(Commitment.partnership_id == p.id,
                                                      Commitment.status == CommitmentStatus.OPEN)
                             .order_by(Commitment.due_at, Commitment.id)):
        who = member_label(c.owner) if names else (c.owner.organisation or "A local volunteer")
        due = "Closing task due" if over else "Due"
        event(f"commitment-{c.number}", due_day(c),
              f"{due}: #{c.number} {words(c.title)} ({c.owner.person.display_name if names else who})",
              f"{who} committed to this in {words(p.name)}" + (", and finishes it as the partnership closes."
                                                               if over else "."))
    if p.next_review_on and not over:
        event("review", p.next_review_on, f"{words(p.name)}: review",
              "Are the time, the people, the resources, the time given, the goal and its reach still right?")
    if p.closed_at:
        # The day it was wound up, as whoever wound it up saw it.
        closer = session.get(Person, wound_up.closed_by_id) if wound_up and wound_up.closed_by_id else None
        day = p.closed_at.astimezone(zone(closer.timezone if closer else "UTC")).date()
        event("end", day, f"{words(p.name)}: wound up",
              "The partnership was wound up" + (f": {words(wound_up.decision)}" if wound_up and wound_up.decision
                                                else ".") + " Nothing new starts in it.")
    elif p.end_date:
        event("end", p.end_date, f"{words(p.name)}: end date", "The partnership reached its end date: nothing new "
              "starts in it." if over else "The partnership's planned end: the wrap-up.")
    for meeting in meeting_events(session, p, now, domain, words, stamp):
        cal.add_component(meeting)
    return Attachment("calendar.ics", "text/calendar", cal.to_ical())


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def ending_md(session: Session, p: Partnership, tz: ZoneInfo) -> list[str]:
    """How the partnership ended, for the minutes: when, by whom and why, its closing tasks,
    and what it handed on to other organisations (at the wind-up or before)."""
    lines: list[str] = []
    review = life.wind_up_review(session, p)
    if p.closed_at is not None:
        closer = session.get(Person, review.closed_by_id) if review and review.closed_by_id else None
        lines += ["## How it ended", "",
                  f"Wound up on {p.closed_at.astimezone(tz).date().isoformat()}" + (f" by {closer.display_name}"
                                                                                   if closer else "") + ".",
                  *([f"Why: {review.decision}"] if review and review.decision else []), ""]
        closing = list(session.scalars(select(Commitment).where(Commitment.partnership_id == p.id,
                                                                Commitment.status == CommitmentStatus.OPEN)
                                       .order_by(Commitment.due_at, Commitment.id)))
        if closing:
            lines += ["Closing tasks still open:", ""]
            lines += [f"- #{c.number} {c.title} ({member_label(c.owner)}), due {due_day(c).isoformat()}" for c in closing]
            lines.append("")
    handed = list(session.scalars(select(Commitment).where(Commitment.partnership_id == p.id,
                                                           Commitment.handed_to.is_not(None))
                                  .order_by(Commitment.closed_at, Commitment.id)))
    if handed:
        lines += ["## Handed on to other organisations", "", "| # | Commitment | From | To | When | Why |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {c.number} | {cell(c.title)} | {cell(member_label(c.owner))} | {cell(c.handed_to or '')} | "
                  f"{file_time(c.closed_at, tz)} | {cell(c.drop_reason or '')} |" for c in handed]
        lines.append("")
    return lines


def health_md(report: Health, ending: list[str] | None = None) -> Attachment:
    p = report.partnership
    lines = [f"# Health of {p.name}", "", f"As of {report.today.isoformat()}.", "", *(ending or [])]
    if report.scores:
        lines += [f"## {report.review}", "", "| Risk | Average (1-5) | Answers |", "| --- | --- | --- |"]
        lines += [f"| {s.risk.value} | {'—' if s.average is None else f'{s.average:.1f}'} | {s.answers} |" for s in report.scores]
        lines.append("")
    lines += ["## Warning signs", ""]
    if not report.signals:
        lines += ["Healthy: no warning signs in the partnership's state.", ""]
    for s in report.signals:
        lines += [f"### {s.name}", "", f"- **Found:** {s.found}", f"- **Why it matters:** {s.why}",
                  f"- **What to do:** {s.todo}", ""]
    if report.balances:
        lines += ["## Give and take", "",
                  "Gives: work its members delivered (commitments done), other partners' work they took on "
                  "(a handover accepted) and contributions delivered (`delivered`). Asks: its members' work other "
                  "partners took on. Who logged a commitment does not count.", "",
                  "| " + " | ".join(HEAD) + " |", "|" + " --- |" * len(HEAD)]
        lines += ["| " + " | ".join(cell(v) for v in b.cells()) + " |" for b in report.balances]
        lines.append("")
    return Attachment("health.md", "text/markdown", "\n".join(lines).encode())


# The agreement, what partners bring, goals and interests: the agreement's versions word for word in
# agreement.md, the rows in CSV. Ten files in all, as many as Slack shares in one message.

def versions_of(session: Session, p: Partnership) -> list[AgreementVersion]:
    return list(session.scalars(select(AgreementVersion).where(AgreementVersion.partnership_id == p.id)
                                .order_by(AgreementVersion.number)))


def organisation_names(session: Session, p: Partnership) -> dict[int, str]:
    return dict(session.execute(select(PartnerOrganisation.id, PartnerOrganisation.name)
                                .where(PartnerOrganisation.partnership_id == p.id)).all())


def signatures_csv(session: Session, p: Partnership, tz: ZoneInfo) -> Attachment:
    """Every signature of every version; `asked_again_at` says when it stopped standing (an organisation left)."""
    versions = {v.id: v.number for v in versions_of(session, p)}
    names = organisation_names(session, p)
    return csv_file("signatures.csv", ["version", "organisation", "signed_by", "signed_at", "asked_again_at", "time_zone"],
                    ([versions[x.version_id], names[x.organisation_id], x.by, stamp(x.signed_at, tz),
                      stamp(x.asked_again_at, tz), tz.key] for x in signatures_of(session, *versions)))


def contributions_csv(session: Session, p: Partnership, tz: ZoneInfo) -> Attachment:
    """Pledges and deliveries, one a row: what, for which partner, how much, and whether it still stands."""
    pledges = session.scalars(select(Pledge).where(Pledge.partnership_id == p.id).order_by(Pledge.number))
    deliveries = session.scalars(select(Delivery).where(Delivery.partnership_id == p.id).order_by(Delivery.number))
    header = ["type", "number", "partner", "recorded_by", "kind", "amount", "currency", "period", "said", "note",
              "day", "recorded_at", "ended_at", "time_zone"]
    rows: list[list[object]] = [
        ["pledge", x.number, partner_of(x.member, x.organisation)[1], x.member.display_name, x.kind.value,
         "" if x.amount is None else x.amount, x.currency or "", x.period.value if x.period else "", pledge_said(x),
         x.text or "" if x.amount is not None else "", x.created_at.astimezone(tz).date().isoformat(),
         stamp(x.created_at, tz), stamp(x.ended_at, tz), tz.key] for x in pledges]
    rows += [["delivery", d.number, partner_of(d.member, d.organisation)[1], d.member.display_name, d.kind.value,
              "" if d.amount is None else d.amount, d.currency or "", "", quantity(d.kind, d.amount, d.currency),
              d.text or "", d.delivered_on.isoformat(), stamp(d.created_at, tz), stamp(d.undone_at, tz), tz.key]
             for d in deliveries]
    return csv_file("contributions.csv", header, rows)


def plain(value: Decimal) -> str:
    """A goal's figure as a spreadsheet reads it: `1250`, `12.5`, never `1250.0000`."""
    return f"{value.normalize():f}"


def goals_csv(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> Attachment:
    """Each goal with its indicator as `goals` shows it, dropped ones included; its unit is that of its readings
    too (last, as in readings.csv, so the columns a spreadsheet already reads keep their places)."""
    rows = indicators_of(session, p.id, now, now.astimezone(tz).date(), with_dropped=True)
    return csv_file("goals.csv", ["number", "title", "measure", "baseline", "target", "by", "latest", "latest_on",
                                  "percent", "trend", "open_work", "overdue_work", "done_work", "set_at", "dropped_at",
                                  "drop_reason", "time_zone", "unit"],
                    ([i.goal.number, i.goal.title, i.goal.measure, plain(i.goal.baseline), plain(i.goal.target),
                      i.goal.due_on.isoformat(), plain(i.latest.value) if i.latest else "",
                      i.latest.taken_on.isoformat() if i.latest else "", i.percent, i.pace() or "", i.work.open,
                      i.work.overdue, i.work.done, stamp(i.goal.created_at, tz), stamp(i.goal.dropped_at, tz),
                      i.goal.drop_reason or "", tz.key, i.goal.unit or ""] for i in rows))


def readings_csv(session: Session, p: Partnership, tz: ZoneInfo) -> Attachment:
    """Every reading of every goal, undone ones marked."""
    rows = session.execute(select(GoalReading, Goal.number, Goal.unit).join(Goal, Goal.id == GoalReading.goal_id)
                           .where(GoalReading.partnership_id == p.id)
                           .order_by(Goal.number, GoalReading.taken_on, GoalReading.id)).all()
    # `unit` last, as in goals.csv.
    return csv_file("readings.csv", ["goal", "day", "value", "note", "recorded_by", "recorded_at", "undone_at",
                                     "time_zone", "unit"],
                    ([number, r.taken_on.isoformat(), plain(r.value), r.note or "", r.member.display_name,
                      stamp(r.created_at, tz), stamp(r.undone_at, tz), tz.key, unit or ""] for r, number, unit in rows))


def agreement_md(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> Attachment:
    """The agreement, every version with its signatures, what each partner brings, the goals with
    their readings and work, and the interests declared: one document for the minutes."""
    today = now.astimezone(tz).date()
    seen: Framework = framework(session, p.id, now, tz)
    versions = versions_of(session, p)
    lines = [f"# Agreement of {p.name}", "", f"As of {today.isoformat()}. "
             + state_said(standing_of(session, p.id, versions[-1] if versions else None), tz, now, not p.over(now)), ""]
    names = organisation_names(session, p)
    signed: dict[int, list[str]] = {}
    for x in signatures_of(session, *(v.id for v in versions)):
        again = f" (asked again {stamp(x.asked_again_at, tz)})" if x.asked_again_at else ""
        signed.setdefault(x.version_id, []).append(f"- {names[x.organisation_id]}: {x.by}, {stamp(x.signed_at, tz)}{again}")
    for v in reversed(versions):
        did = "Written" if v.number == 1 else f"Changed ({v.changed})"
        lines += [f"## Version {v.number}{' (current)' if v is versions[-1] else ''}", "",
                  f"{did} by {v.changed_by.display_name}, {stamp(v.created_at, tz)} ({tz.key})"
                  + (f". Why: {v.why}" if v.why else "."), ""]
        for key, heading in SECTIONS.items():
            if text := getattr(v, key):
                lines += [f"### {heading}", "", text, ""]
        lines += ["### Signatures", "", *(signed.get(v.id) or ["None."]), ""]
    lines += ["## What each partner brings", ""]
    for partner in seen.partners:
        lines += [f"### {partner.partner}", ""]
        lines += [f"- Pledged {x.kind}: {x.pledged}; {x.kept}" for x in partner.pledges]
        if partner.delivered:
            lines.append(f"- Delivered in all: {', '.join(partner.delivered)}")
        lines.append("")
    if not seen.partners:
        lines += ["Nothing pledged or delivered yet.", ""]
    lines += ["## Goals", ""]
    for g in seen.goals:
        lines += [f"### #{g.number} {g.title}", "", f"- **Measure:** {g.measure}", f"- **Where it stands:** {g.said}",
                  f"- **Trend:** {g.pace or 'none yet'}", f"- **Work:** {g.work_said}", ""]
        lines += [f"- #{w.number} {w.title} ({w.organisation or w.person}): {w.status}"
                  + (", overdue" if w.overdue else "") for w in g.work]
        if g.readings:
            lines += ["", "| Day | Reading | Note |", "| --- | --- | --- |"]
            lines += [f"| {r.on.isoformat()} | {figure(r.value)} | {cell(r.note or '')} |" for r in g.readings]
        lines.append("")
    if not seen.goals:
        lines += ["No goals set.", ""]
    lines += ["## Interests declared", ""]
    lines += [f"- {i.person}" + (f" ({i.organisation})" if i.organisation else "")
              + (f", in proposal {i.proposal}" if i.proposal else "") + f": {i.text} ({file_time(i.declared, tz)})"
              for i in seen.interests] or ["None."]
    withdrawn = session.scalar(select(func.count()).select_from(Interest).where(
        Interest.partnership_id == p.id, Interest.withdrawn_at.is_not(None))) or 0
    if withdrawn:
        lines += ["", f"{plural(withdrawn, 'interest')} withdrawn since (see `history about:interests`)."]
    return Attachment("agreement.md", "text/markdown", "\n".join(lines).encode())


def export_files(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> list[Attachment]:
    """Every export of one partnership, its times and the health report's dates in the reader's zone."""
    return [commitments_csv(session, p, now, tz), concerns_csv(session, p, tz), decisions_csv(session, p, now, tz),
            calendar_ics(session, p, now), health_md(check(session, p, now, tz), ending_md(session, p, tz)),
            agreement_md(session, p, now, tz), signatures_csv(session, p, tz), contributions_csv(session, p, tz),
            goals_csv(session, p, now, tz), readings_csv(session, p, tz)]


def write_files(files: list[Attachment], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = folder / f.filename
        path.write_bytes(f.content)
        written.append(path)
    return written


def find_partnership(session: Session, name: str | None, workspace: str | None) -> Partnership:
    """The one partnership a name and workspace point to, for the command line."""
    query = select(Partnership).order_by(Partnership.platform, Partnership.workspace, Partnership.name)
    if name:
        query = query.where(Partnership.name_key == queries.name_key(name))
    if workspace:
        query = query.where(Partnership.workspace == workspace)
    found = list(session.scalars(query))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError("No partnership matches.", "Leave out --partnership and --workspace to see them all.")
    choices = "; ".join(f'"{p.name}" ({p.platform} workspace {p.workspace})' for p in found[:20])
    raise UserError(f"Several partnerships match: {choices}.", "Say which with --partnership NAME and --workspace W.")


@command("export", usage="export", access=Access.READ, changes=False)
def export(ctx: Context, args: Args) -> Reply:
    """The partnership's records as files: commitments, concerns and decisions (CSV), due dates and reviews
    (a calendar file), the health check (Markdown), and the agreement with what partners bring, goals and
    readings (Markdown and CSV)."""
    args.finish()
    p = ctx.require_partnership()
    files = export_files(ctx.session, p, ctx.now, ctx.tz)
    return Reply(title=f"Export of {p.name}", attachments=files, folder=folder_name(p, ctx.now.astimezone(ctx.tz).date()),
                 text=f"{plural(len(files), 'file')}: " + ", ".join(f.filename for f in files)
                 + ". Open the CSV files in a spreadsheet and import calendar.ics into your calendar.")
