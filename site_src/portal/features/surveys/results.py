"""Survey results from the counters: distributions, satisfaction, NPS and the quadrant chart (四分图).

Small counts are hidden (fewer than the survey's k answers), so nobody can be picked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from portal_contracts.surveys import Question, Survey

QUADRANTS = ("strength", "improve", "maintain", "secondary")


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


class Charts:
    """Inline SVG, drawn at build time; every chart has a table beside it."""

    def __init__(self, view: ResultsView, t: Any) -> None:
        self.view, self.t = view, t

    def bars(self, qv: QuestionView) -> Markup:
        rows = qv.rows
        height = 26 * len(rows) + 8
        label_w = 150 if qv.q.kind in ("single", "multiple") else 40
        width = 520
        scale = (width - label_w - 60) / 100
        parts = [f'<svg class="portal-chart" viewBox="0 0 {width} {height}" role="img" '
                 f'aria-labelledby="chart-{qv.q.id}"><title id="chart-{qv.q.id}">'
                 f'{escape(self.t("surveys.chart_of", q=qv.q.text))}</title>']
        for i, (value, _count, pct) in enumerate(rows):
            y = 4 + i * 26
            parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(value)}</text>'
                         f'<rect x="{label_w}" y="{y + 3}" width="{pct * scale:.1f}" height="18" '
                         f'class="portal-chart__bar"/>'
                         f'<text x="{label_w + pct * scale + 4:.1f}" y="{y + 16}">{pct:.1f}%</text>')
        parts.append("</svg>")
        return Markup("".join(parts))

    def quadrant(self) -> Markup:
        v = self.view
        if not v.points or v.x_split is None or v.y_split is None:
            return Markup("")
        w, h, pad = 560, 420, 50
        xs = [p.importance for p in v.points]
        ys = [p.satisfied for p in v.points]
        x0, x1 = min([*xs, v.x_split]) - 0.3, max([*xs, v.x_split]) + 0.3
        y0, y1 = min([*ys, v.y_split]) - 5, max([*ys, v.y_split]) + 5

        def px(x: float) -> float:
            return pad + (x - x0) / (x1 - x0) * (w - 2 * pad)

        def py(y: float) -> float:
            return h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad)

        sx, sy = px(v.x_split), py(v.y_split)
        t = self.t
        parts = [f'<svg class="portal-chart portal-quadrant" viewBox="0 0 {w} {h}" role="img" '
                 f'aria-labelledby="quadrant-title"><title id="quadrant-title">'
                 f'{escape(t("surveys.quadrant_alt"))}</title>',
                 f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" '
                 f'class="portal-quadrant__frame"/>',
                 f'<line x1="{sx:.1f}" y1="{pad}" x2="{sx:.1f}" y2="{h - pad}" '
                 f'class="portal-quadrant__split"/>',
                 f'<line x1="{pad}" y1="{sy:.1f}" x2="{w - pad}" y2="{sy:.1f}" '
                 f'class="portal-quadrant__split"/>',
                 f'<text x="{w - pad - 6}" y="{pad + 18}" text-anchor="end" class="portal-quadrant__name">'
                 f'{escape(t("surveys.q.strength"))}</text>',
                 f'<text x="{w - pad - 6}" y="{h - pad - 8}" text-anchor="end" class="portal-quadrant__name">'
                 f'{escape(t("surveys.q.improve"))}</text>',
                 f'<text x="{pad + 6}" y="{pad + 18}" class="portal-quadrant__name">'
                 f'{escape(t("surveys.q.maintain"))}</text>',
                 f'<text x="{pad + 6}" y="{h - pad - 8}" class="portal-quadrant__name">'
                 f'{escape(t("surveys.q.secondary"))}</text>',
                 f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">'
                 f'{escape(t("surveys.importance_axis"))}</text>',
                 f'<text x="14" y="{h / 2}" text-anchor="middle" transform="rotate(-90 14 {h / 2})">'
                 f'{escape(t("surveys.satisfaction_axis"))}</text>']
        for p in v.points:
            parts.append(f'<circle cx="{px(p.importance):.1f}" cy="{py(p.satisfied):.1f}" r="5" '
                         f'class="portal-quadrant__dot portal-quadrant__dot--{p.quadrant}"/>'
                         f'<text x="{px(p.importance) + 8:.1f}" y="{py(p.satisfied) + 4:.1f}">'
                         f'{escape(p.item)}</text>')
        parts.append("</svg>")
        return Markup("".join(parts))
