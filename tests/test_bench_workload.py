"""The benchmark's generated network is shaped as partnerships are: what the figures in
BENCHMARKS.md rest on."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime

from bench.workload import generate
from storage.models import Member, Priority


def test_each_member_has_at_most_one_current_priority_and_a_leaver_none() -> None:
    rows, _ = generate(6, datetime(2026, 12, 1, tzinfo=UTC))
    left = {m["id"]: m["left_at"] for m in rows.tables[Member.__table__]}
    current: dict[int, int] = defaultdict(int)
    by_member = defaultdict(list)
    for p in rows.tables[Priority.__table__]:
        by_member[p["member_id"]].append(p)
        current[p["member_id"]] += p["replaced_at"] is None
    assert any(len(stated) > 2 for stated in by_member.values()), "some members have a history"
    for member, stated in by_member.items():
        assert current[member] == (0 if left[member] else 1)
        stated.sort(key=lambda p: p["set_at"])
        for earlier, later in itertools.pairwise(stated):
            assert earlier["replaced_at"] == later["set_at"]  # each replaced by the next
        if left[member]:
            assert stated[-1]["replaced_at"] == left[member] and stated[-1]["set_at"] < left[member]
