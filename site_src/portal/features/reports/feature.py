"""Half-year budget disclosures (财务公开): one YAML file per period in content/reports/.

`content/reports/2026-H1.yml` holds the period's income, expenditure by category (budget
and actual; the lines may come from a CSV beside it), the maintenance-fund ledger, the
fee collection rate, service KPIs against their targets, the narrative of the management
report, who answers questions and the signature. Every figure is a Decimal (YAML numbers
are read as Decimal, never float) and every declared total and rate is checked against
what it is computed from, so a report that does not add up never reaches the site.

A report whose `published` date is after "now" is scheduled: it stays off the site until
a build after that time, like a scheduled notice.

    fields.py     exact amounts and percentages
    model.py      the file schema, Report and its amounts
    checks.py     every declared total and rate against what it is computed from
    csv_lines.py  expenditure lines from a CSV
    reading.py    load(): YAML, CSV, checks
    format.py     figures in words
    charts.py     SVG bar and line charts (with tables beside them)
    pages.py      the report pages, index, trends, CSV downloads
"""

from __future__ import annotations

from ...content import Loader
from ...pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from ...urls import relative
from . import pages, reading
from .format import money, pct, period_label
from .model import PERIOD_FILE, Reports


class ReportsFeature(Feature):
    key = "reports"

    def source_url(self, file: str) -> str | None:
        m = PERIOD_FILE.match(file.rsplit("/", 1)[-1])
        if not file.startswith("content/reports/") or not m:
            return None
        return f"reports/{m.group(1)}-H{m.group(2)}/"

    def load(self, ctx: BuildContext, loader: Loader) -> Reports:
        return reading.load(ctx, loader)

    def render(self, data: Reports, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        return pages.render(data, ctx)

    def nav(self, data: Reports, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("reports.title"), children=(
            NavItem(ctx.t("reports.index"), "reports/index.md"),
            NavItem(ctx.t("reports.trends"), "reports/trends.md"),
        ))

    def home(self, data: Reports, ctx: BuildContext) -> list[HomeBlock]:
        latest = data.latest
        if latest is None:
            return []
        return [HomeBlock(45, ctx.render(
            "portal/reports_home.html", r=latest, label=period_label(ctx, latest.period),
            money=money, pct=pct, rel=relative, page=""))]
