"""Chart geometry for the budget disclosures: plain numbers that Jinja templates draw as inline SVG.

Hand-written rather than a charting library: the charts are a few bars and lines, and
the output has to be reproducible (no random ids), carry role="img" with a title and
description, take its colours from the page's stylesheet (dark mode, print) and stay
small. Values come in as Decimal; only the drawing coordinates are floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

# A narrow drawing: on a 360 px phone it shows at about its own size, so 13 px text stays 13 px.
WIDTH = 320
LABEL = 15  # label line height above each group of bars
BAR = 14
GAP = 4
VALUE_SPACE = 136  # room right of the longest bar for its figure


@dataclass(frozen=True)
class Bar:
    css: str
    x: float
    y: float
    w: float
    h: float
    text: str
    tx: float
    ty: float


@dataclass(frozen=True)
class BarGroup:
    label: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str
    ty: float


@dataclass(frozen=True)
class Series:
    css: str
    name: str
    marker: str  # "circle" or "square": the series differ by more than colour
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class Chart:
    """What a chart template needs: its id (for aria-labelledby), title, description and shapes."""

    kind: str  # "bars" or "lines"
    id: str
    title: str
    desc: str
    width: int
    height: int
    legend: tuple[tuple[str, str], ...] = ()
    groups: tuple[BarGroup, ...] = ()
    series: tuple[Series, ...] = ()
    xticks: tuple[Tick, ...] = ()
    yticks: tuple[Tick, ...] = ()
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom


def bars(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, Sequence[Decimal]]],
         series: Sequence[tuple[str, str]], fmt: Callable[[Decimal], str]) -> Chart:
    """Horizontal bars: one group per row, one bar per series, the label above each group.

    Labels sit above the bars, not beside them, so long Chinese category names need no
    label column and the chart stays legible when a phone scales it down.
    """
    top = max((v for _, values in rows for v in values), default=Decimal(0))
    scale = (WIDTH - VALUE_SPACE) / float(top) if top > 0 else 0.0
    groups: list[BarGroup] = []
    y = 0.0
    for label, values in rows:
        y += LABEL
        label_y = y - 3
        items: list[Bar] = []
        for (css, _name), value in zip(series, values, strict=True):
            w = max(float(value) * scale, 1.0 if value > 0 else 0.0)
            items.append(Bar(css, 0, y, round(w, 1), BAR, fmt(value), round(w + 5, 1), y + BAR - 3))
            y += BAR + GAP
        groups.append(BarGroup(label, label_y, tuple(items)))
        y += 6
    return Chart("bars", chart_id, title, desc, WIDTH, int(y) + 2, legend=tuple(series),
                 groups=tuple(groups))


def lines(chart_id: str, title: str, desc: str, xlabels: Sequence[str],
          series: Sequence[tuple[str, str, Sequence[Decimal]]], fmt: Callable[[Decimal], str],
          floor: Decimal, ceiling: Decimal, step: Decimal) -> Chart:
    """A line per series over the periods, y from `floor` to `ceiling` with a tick every `step`."""
    left, top, right, bottom = 40.0, 14.0, WIDTH - 8.0, 170.0
    n = len(xlabels)
    span = float(ceiling - floor) or 1.0

    def x_at(i: int) -> float:
        return left + (right - left) * (i + 0.5) / n

    def y_at(v: Decimal) -> float:
        return bottom - (bottom - top) * float(v - floor) / span

    drawn: list[Series] = []
    for k, (css, name, values) in enumerate(series):
        points = []
        for i, v in enumerate(values):
            py = y_at(v)
            points.append(Point(round(x_at(i), 1), round(py, 1), fmt(v),
                                round(py - 8 if k == 0 else py + 18, 1)))
        drawn.append(Series(css, name, "circle" if k == 0 else "square", tuple(points)))
    yticks = []
    v = floor
    while v <= ceiling:
        yticks.append(Tick(round(y_at(v), 1), f"{v}%"))
        v += step
    xticks = tuple(Tick(round(x_at(i), 1), label) for i, label in enumerate(xlabels))
    return Chart("lines", chart_id, title, desc, WIDTH, 194,
                 legend=tuple((css, name) for css, name, _ in series), series=tuple(drawn),
                 xticks=xticks, yticks=tuple(yticks), plot=(left, top, right, bottom))
