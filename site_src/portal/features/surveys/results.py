"""Survey results from the counters: distributions, satisfaction, NPS and the quadrant chart (四分图).

Small counts are hidden (fewer than the survey's k answers), so nobody can be picked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from portal_contracts.surveys import Question, Survey


@dataclass
class QuestionView:
    q: Question
    answered: int
    hidden: bool
    rows: list[tuple[str, int, float]] = field(default_factory=list)  # value, count, percent
    mean: float | None = None
    satisfied: float | None = None  # share of 4 and 5, for rating items
    change: float | None = None     # satisfied minus the previous survey's, in points


@dataclass
class ItemPoint:
    item: str
    importance: float
    satisfied: float
    quadrant: str = ""


@dataclass
class ResultsView:
    survey: Survey
    responses: int
    rate: float
    hidden: bool
    questions: list[QuestionView]
    overall_satisfied: float | None
    nps: float | None
    points: list[ItemPoint]
    x_split: float | None
    y_split: float | None


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _question(q: Question, c: dict[str, int], k: int) -> QuestionView:
    answered = c.get(f"a:{q.id}", 0)
    view = QuestionView(q, answered, answered < k)
    if view.hidden or q.kind == "text":
        return view
    view.rows = [(v, c.get(f"q:{q.id}:{v}", 0), _pct(c.get(f"q:{q.id}:{v}", 0), answered))
                 for v in q.values()]
    if q.kind in ("rating", "importance", "nps"):
        view.mean = round(sum(int(v) * n for v, n, _ in view.rows) / answered, 2)
    if q.kind == "rating":
        view.satisfied = _pct(sum(n for v, n, _ in view.rows if v in ("4", "5")), answered)
    return view


def build(survey: Survey, counters: dict[str, int], responses: int,
          previous: Survey | None = None, previous_counters: dict[str, int] | None = None
          ) -> ResultsView:
    k = survey.k
    hidden = responses < k
    views = [_question(q, counters, k) for q in survey.questions]
    by_id = {v.q.id: v for v in views}
    if previous is not None and previous_counters is not None:
        for v in views:
            pq = previous.question(v.q.id)
            if v.satisfied is not None and pq is not None and pq.kind == "rating":
                before = _question(pq, previous_counters, previous.k).satisfied
                if before is not None:
                    v.change = round(v.satisfied - before, 1)
    ratings = [v for v in views if v.q.kind == "rating" and not v.hidden]
    total = sum(v.answered for v in ratings)
    overall = _pct(sum(n for v in ratings for val, n, _ in v.rows if val in ("4", "5")), total) \
        if total else None
    nps_view = next((v for v in views if v.q.kind == "nps" and not v.hidden), None)
    nps = None
    if nps_view is not None:
        promoters = sum(n for v, n, _ in nps_view.rows if int(v) >= 9)
        detractors = sum(n for v, n, _ in nps_view.rows if int(v) <= 6)
        nps = round(100 * (promoters - detractors) / nps_view.answered, 1)
    points = []
    for v in views:
        if v.q.kind == "importance" and not v.hidden and v.q.pairs_with:
            sat = by_id.get(v.q.pairs_with)
            if sat is not None and sat.satisfied is not None and v.mean is not None:
                points.append(ItemPoint(sat.q.item or sat.q.id, v.mean, sat.satisfied))
    x_split = y_split = None
    if points:
        x_split = round(sum(p.importance for p in points) / len(points), 2)
        y_split = round(sum(p.satisfied for p in points) / len(points), 1)
        for p in points:
            high_imp, high_sat = p.importance >= x_split, p.satisfied >= y_split
            p.quadrant = ("strength" if high_imp and high_sat else "improve" if high_imp
                          else "maintain" if high_sat else "secondary")
    return ResultsView(survey, responses, _pct(responses, survey.households), hidden,
                       views, overall, nps, points, x_split, y_split)


# Charts are drawn 320 units wide: on a 360 px phone they render at about that width, so
# 13-unit text reads at 13 px or more; on a desktop they grow to at most 36rem.
WIDTH = 320
FONT = 13


def text_width(text: str, size: float = FONT) -> float:
    """Estimated advance of a label: CJK and full-width characters 1 em, others 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


Box = tuple[float, float, float, float]  # x, y (top), width, height


def _clash(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def place_label(x: float, y: float, width: float, taken: list[Box], area: Box,
                size: float = FONT, rings: int = 3) -> tuple[float, float] | None:
    """Where a label of `width` beside the dot at (x, y) overlaps nothing placed yet: right,
    left, above, below, then further out. Returns its start and baseline, or None."""
    h = size + 2
    for ring in (1.0 + 1.2 * r for r in range(rings)):
        d = 7 * ring
        for lx, top in ((x + d, y - h / 2), (x - d - width, y - h / 2), (x - width / 2, y - d - h),
                        (x - width / 2, y + d), (x + d, y - d - h), (x + d, y + d),
                        (x - d - width, y - d - h), (x - d - width, y + d)):
            box = (lx, top, width, h)
            inside = (area[0] <= lx and lx + width <= area[0] + area[2]
                      and area[1] <= top and top + h <= area[1] + area[3])
            if inside and not any(_clash(box, t) for t in taken):
                taken.append(box)
                return lx, top + size * 0.88
    return None


class Charts:
    """Inline SVG, drawn at build time; every chart has a table beside it with the full
    names (a chart may shorten a name to keep its labels apart)."""

    def __init__(self, view: ResultsView, t: Any) -> None:
        self.view, self.t = view, t

    def bars(self, qv: QuestionView) -> Markup:
        """One bar per answer; short answers (1-5, 0-10) left of their bar, longer ones above."""
        rows = qv.rows
        inline = all(text_width(str(value)) <= 2 * FONT for value, _, _ in rows)
        label_w = 2.4 * FONT if inline else 0
        value_w = text_width("100.0%") + 6
        scale = (WIDTH - label_w - value_w) / 100
        row_h = 24 if inline else 42
        height = row_h * len(rows) + 4
        parts = [f'<svg class="portal-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
                 f'aria-labelledby="chart-{qv.q.id}"><title id="chart-{qv.q.id}">'
                 f'{escape(self.t("surveys.chart_of", q=qv.q.text))}</title>']
        for i, (value, _count, pct) in enumerate(rows):
            y = 2 + i * row_h
            bar_y = y + 3 if inline else y + 20
            if inline:
                parts.append(f'<text x="{label_w - 6:.0f}" y="{bar_y + 13}" text-anchor="end">'
                             f'{escape(value)}</text>')
            else:
                parts.append(f'<text x="0" y="{y + 14}">{escape(value)}</text>')
            parts.append(f'<rect x="{label_w:.0f}" y="{bar_y}" width="{pct * scale:.1f}" height="17" '
                         f'class="portal-chart__bar"/>'
                         f'<text x="{label_w + pct * scale + 4:.1f}" y="{bar_y + 13}">{pct:.1f}%</text>')
        parts.append("</svg>")
        return Markup("".join(parts))

    def quadrant(self) -> Markup:
        v = self.view
        if not v.points or v.x_split is None or v.y_split is None:
            return Markup("")
        w, h = WIDTH, 300
        left, top, right, bottom = 22, 4, w - 2, h - 24  # the plot; axis names outside it
        xs = [p.importance for p in v.points]
        ys = [p.satisfied for p in v.points]
        x0, x1 = min([*xs, v.x_split]) - 0.3, max([*xs, v.x_split]) + 0.3
        y0, y1 = min([*ys, v.y_split]) - 5, max([*ys, v.y_split]) + 5

        def px(x: float) -> float:
            return left + (x - x0) / (x1 - x0) * (right - left)

        def py(y: float) -> float:
            return bottom - (y - y0) / (y1 - y0) * (bottom - top)

        sx, sy = px(v.x_split), py(v.y_split)
        t = self.t
        area: Box = (left + 2, top + 2, right - left - 4, bottom - top - 4)
        taken: list[Box] = [(px(p.importance) - 5, py(p.satisfied) - 5, 10, 10) for p in v.points]
        parts = [f'<svg class="portal-chart portal-quadrant" viewBox="0 0 {w} {h}" role="img" '
                 f'aria-labelledby="quadrant-title"><title id="quadrant-title">'
                 f'{escape(t("surveys.quadrant_alt"))}</title>',
                 f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
                 f'class="portal-quadrant__frame"/>',
                 f'<line x1="{sx:.1f}" y1="{top}" x2="{sx:.1f}" y2="{bottom}" '
                 f'class="portal-quadrant__split"/>',
                 f'<line x1="{left}" y1="{sy:.1f}" x2="{right}" y2="{sy:.1f}" '
                 f'class="portal-quadrant__split"/>']
        # the quadrants' short names in their corners
        for key, at_right, at_top in (("strength", True, True), ("improve", True, False),
                                      ("maintain", False, True), ("secondary", False, False)):
            name = t(f"surveys.q_short.{key}")
            nw = text_width(name)
            nx = right - 4 - nw if at_right else left + 4
            ny = top + 4 if at_top else bottom - 4 - FONT - 2
            taken.append((nx, ny, nw, FONT + 2))
            parts.append(f'<text x="{nx:.1f}" y="{ny + FONT * 0.88:.1f}" '
                         f'class="portal-quadrant__name">{escape(name)}</text>')
        parts += [f'<text x="{(left + right) / 2:.1f}" y="{h - 6}" text-anchor="middle">'
                  f'{escape(t("surveys.importance_axis"))}</text>',
                  f'<text x="14" y="{(top + bottom) / 2:.1f}" text-anchor="middle" '
                  f'transform="rotate(-90 14 {(top + bottom) / 2:.1f})">'
                  f'{escape(t("surveys.satisfaction_axis"))}</text>']
        for n, p in enumerate(v.points, start=1):
            cx, cy = px(p.importance), py(p.satisfied)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" '
                         f'class="portal-quadrant__dot portal-quadrant__dot--{p.quadrant}"/>')
            # the item's name where it fits; else its number from the table beside
            for label, rings in ((p.item, 3), (str(n), 8)):
                spot = place_label(cx, cy, text_width(label), taken, area, rings=rings)
                if spot is not None:
                    parts.append(f'<text x="{spot[0]:.1f}" y="{spot[1]:.1f}">{escape(label)}</text>')
                    break
        parts.append("</svg>")
        return Markup("".join(parts))
