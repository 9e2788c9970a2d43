"""Side-by-side lanes for a day of the week grid, the way Outlook and Google lay out overlapping events.

Blocks that overlap (on the grid's whole-hour rows) form a cluster; each block takes the first
lane free at its first hour, and every block of a cluster is as wide as the cluster has lanes.
A cluster never has more than `MAX_LANES` lanes, so a block stays wide enough to read its time:
when it would need more, its blocks fill all but the last lane and the last one holds a
"+N more" tile over the hours of the blocks left out (they are listed on the day view).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, TypeVar

# The week grid's day column is split into 6 columns (static/css/app.css .cal-lane-*): 1, 2 or 3 lanes.
MAX_LANES = 3


class Span(Protocol):
    first_hour: int
    hours: int


S = TypeVar("S", bound=Span)


@dataclass(frozen=True)
class Placed:
    """A block in lane `lane` of `lanes` (0-based)."""

    item: Span
    lane: int
    lanes: int


@dataclass(frozen=True)
class Overflow:
    """The "+N more" tile of a cluster: `count` blocks left out, between `first_hour` and its end."""

    count: int
    first_hour: int
    hours: int
    lane: int = MAX_LANES - 1
    lanes: int = MAX_LANES


def lay_out(items: Sequence[S]) -> tuple[list[Placed], list[Overflow]]:
    """The blocks shown, each in its lane, and the overflow tiles, for one day's `items` in time order."""
    placed: list[Placed] = []
    overflows: list[Overflow] = []
    for cluster in _clusters(sorted(items, key=lambda item: item.first_hour)):
        lanes = _lanes(cluster, limit=None)
        if max(lanes) < MAX_LANES:
            count = max(lanes) + 1
            placed.extend(Placed(item, lane, count) for item, lane in zip(cluster, lanes))
            continue
        lanes = _lanes(cluster, limit=MAX_LANES - 1)
        left_out = [item for item, lane in zip(cluster, lanes) if lane is None]
        placed.extend(Placed(item, lane, MAX_LANES) for item, lane in zip(cluster, lanes) if lane is not None)
        first = min(item.first_hour for item in left_out)
        last = max(item.first_hour + item.hours for item in left_out)
        overflows.append(Overflow(len(left_out), first, last - first))
    return placed, overflows


def _clusters(items: list[S]) -> list[list[S]]:
    """Runs of items (sorted by first hour) that overlap one another, directly or through others."""
    clusters: list[list[S]] = []
    end = -1
    for item in items:
        if item.first_hour >= end:
            clusters.append([])
        clusters[-1].append(item)
        end = max(end, item.first_hour + item.hours)
    return clusters


def _lanes(cluster: list[S], limit: int | None) -> list[int | None]:
    """Each item's lane: the first free at its first hour (None when all `limit` lanes are taken)."""
    ends: list[int] = []  # the hour each lane is free again
    lanes: list[int | None] = []
    for item in cluster:
        lane = next((n for n, end in enumerate(ends) if end <= item.first_hour), None)
        if lane is None and (limit is None or len(ends) < limit):
            lane = len(ends)
            ends.append(0)
        if lane is not None:
            ends[lane] = item.first_hour + item.hours
        lanes.append(lane)
    return lanes
