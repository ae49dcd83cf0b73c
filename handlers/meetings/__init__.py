"""Meetings, from finding a time to published minutes: the steering group's whole loop.

`poll` finds a time and schedules it, `calendar` turns a meeting into an iCalendar event,
`agenda` drafts what to discuss from the record, and `minutes` records attendance, notes,
decisions and actions, which become the partnership's record. `record` is what they share:
a meeting found by its number, and its time as each reader sees it.
"""
