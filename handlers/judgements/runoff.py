"""Counting a ranked choice by instant-runoff, with the rule that breaks ties stated.

Each round counts every ranking for its highest option still standing. An option with more
than half of the rankings still counting wins; otherwise the option with the fewest is
dropped, and a tie for fewest drops the one listed last in the proposal. A ranking whose
options have all been dropped no longer counts. The same rankings always give the same
result, and the outcome shows every round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

METHOD = ("Counted by instant-runoff: each round counts every ranking for its highest option still standing; "
          "an option with more than half of them wins, otherwise the one with the fewest is dropped "
          "(a tie for fewest drops the one listed last in the proposal)")


@dataclass(frozen=True)
class Round:
    """One round: each option still standing with its rankings, and the option dropped after it."""

    counts: dict[int, int]
    dropped: int | None


@dataclass(frozen=True)
class Runoff:
    winner: int | None
    rounds: list[Round]


def count(options: int, rankings: Sequence[Sequence[int]]) -> Runoff:
    """Count `rankings` (each a list of option places, most wanted first) among `options` options."""
    standing = list(range(options))
    rounds: list[Round] = []
    while standing:
        counts = dict.fromkeys(standing, 0)
        for ranking in rankings:
            first = next((o for o in ranking if o in counts), None)
            if first is not None:
                counts[first] += 1
        counting = sum(counts.values())
        if not counting:
            rounds.append(Round(counts, None))
            return Runoff(None, rounds)
        top = max(standing, key=lambda o: (counts[o], -o))
        if 2 * counts[top] > counting:
            rounds.append(Round(counts, None))
            return Runoff(top, rounds)
        fewest = min(counts.values())
        dropped = max(o for o in standing if counts[o] == fewest)
        rounds.append(Round(counts, dropped))
        standing.remove(dropped)
    return Runoff(None, rounds)
