"""Stacked weekly bar charts drawn as server-side SVG geometry (no script: the CSP holds).

Each series has a fill pattern as well as a colour and each segment carries its number, so the
chart reads without colour; the template draws these rectangles and a table of the same numbers.
"""
from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 36, 28, 10


@dataclass(frozen=True)
class Segment:
    series: str
    count: int
    x: float
    y: float
    width: float
    height: float
    href: str


@dataclass
class Bar:
    label: str
    total: int
    x: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    series: list[tuple[str, str]]  # (key, label)
    bars: list[Bar]
    ticks: list[tuple[int, float]]  # (value, y)
    width: int = WIDTH
    height: int = HEIGHT


def stacked(title: str, weeks: list[date], series: list[tuple[str, str]], counts: dict[tuple[date, str], int],
            href) -> Chart:
    """One bar per week, one segment per series with a count; `href(week, series)` links it."""
    peak = max([sum(counts.get((week, key), 0) for key, _ in series) for week in weeks] + [1])
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(weeks), 1)
    bars = []
    for index, week in enumerate(weeks):
        x = LEFT + index * slot + slot * 0.15
        bar = Bar(week.strftime("%d %b"), 0, x)
        base = HEIGHT - BOTTOM
        for key, _ in series:
            count = counts.get((week, key), 0)
            if not count:
                continue
            height = plot_height * count / peak
            base -= height
            bar.segments.append(Segment(key, count, x, base, slot * 0.7, height, href(week, key)))
            bar.total += count
        bars.append(bar)
    step = max(1, -(-peak // 4))
    ticks = [(value, HEIGHT - BOTTOM - plot_height * value / peak) for value in range(0, peak + 1, step)]
    return Chart(title, series, bars, ticks)
