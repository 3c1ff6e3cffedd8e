"""Pages and downloads of the budget disclosures: a page per period, the index, the trends page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ... import corrections
from ...common import html_text
from ...pipeline import BuildContext, LightPage, OutputFile
from ...urls import relative
from . import charts
from .format import money, pct, period_label, signed
from .model import CATEGORIES, INCOME_LINES, KPIS, SECTIONS, TENTH, Amounts, Report, Reports, percent_of


@dataclass(frozen=True)
class Change:
    """A figure against the previous period's."""

    before: Decimal | None
    now: Decimal

    @property
    def delta(self) -> Decimal | None:
        return None if self.before is None else self.now - self.before

    @property
    def delta_pct(self) -> Decimal | None:
        return None if self.before is None else percent_of(self.now - self.before, self.before)


@dataclass(frozen=True)
class CategoryRow:
    key: str
    name: str
    amounts: Amounts
    share: Decimal | None
    change: Change


@dataclass(frozen=True)
class LedgerRow:
    when: str
    what: str
    where: str
    income: Decimal | None
    spending: Decimal | None
    balance: Decimal
    decision: str = ""  # the owners' decision that approved a use of the fund


def points(value: Decimal | None) -> str:
    """Change of a rate in percentage points, signed."""
    if value is None:
        return "—"
    q = value.quantize(TENTH, rounding=ROUND_HALF_UP)
    return ("+" if q > 0 else "") + f"{q:.1f}"


def render(data: Reports, ctx: BuildContext) -> list[OutputFile | LightPage]:
    out: list[OutputFile | LightPage] = []
    page_tpl = ctx.env.get_template("portal/report_page.html")
    common = _common(ctx)
    for r in data.items:
        label = period_label(ctx, r.period)
        values = report_values(r, ctx)
        html = page_tpl.render(r=r, label=label, page=r.url, **values, **common)
        narrative = " ".join(html_text(h) for _, h in values["sections"])
        out.append(LightPage(
            url=r.url, title=ctx.t("reports.report_title", period=label),
            description=ctx.t("reports.report_description", period=label,
                              income=money(r.income_total), spent=money(r.spent)),
            search_text=f"{ctx.t('reports.title')} {label} {narrative}", html=html))
        out.append(OutputFile(f"{r.url}{r.period}.csv", figures_csv(r, ctx)))
        out.append(OutputFile(f"{r.url}{r.source.name}", r.source.read_bytes()))
        out.extend(OutputFile(f"{r.url}{p.name}", excel_csv(p.read_bytes())) for p in r.csv_sources)
    newest_first = list(reversed(data.items))
    out.append(OutputFile("reports/index.md", ctx.env.get_template("portal/reports_index.md").render(
        reports=newest_first, page="reports/", label=lambda p: period_label(ctx, p), **common)))
    fixes = [f for r in data.items for f in corrections.shown(
        f"content/reports/{r.source.name}", r.url,
        ctx.t("reports.report_title", period=period_label(ctx, r.period)), list(r.meta.corrections))]
    out.append(OutputFile("reports/corrections.xml", corrections.feed(
        ctx.site_url, "reports/", ctx.t("corrections.feed_title", section=ctx.t("reports.title")),
        ctx.t.language, fixes, ctx.tz)))
    out.append(OutputFile(f"{corrections.FOLDER}/reports.json", corrections.published_json(
        {f"content/reports/{r.source.name}": r.figures for r in data.items})))
    out.append(OutputFile("reports/trends.md", ctx.env.get_template("portal/reports_trends.md").render(
        page="reports/trends/", **trends_values(data, ctx), **common)))
    return out


def _common(ctx: BuildContext) -> dict[str, Any]:
    return {"t": ctx.t, "community": ctx.community, "now": ctx.now, "rel": relative,
            "money": money, "signed": signed, "pct": pct, "points": points,
            "categories": CATEGORIES}


def report_values(r: Report, ctx: BuildContext) -> dict[str, Any]:
    """Everything the report page shows, computed once here so the template only lays it out."""
    t, prev = ctx.t, r.prev
    income = [(t(f"reports.income.{k}"), Change(prev.income_lines[k] if prev else None, v))
              for k, v in r.income_lines.items()]
    by_cat, prev_cat = r.by_category, prev.by_category if prev else None
    categories = [CategoryRow(k, CATEGORIES[k], a, percent_of(a.actual, r.spent),
                              Change(prev_cat[k].actual if prev_cat else None, a.actual))
                  for k, a in by_cat.items()]
    total = Amounts(r.meta.expenditure.total.budget, r.meta.expenditure.total.actual)
    fund = r.meta.maintenance_fund
    ledger: list[LedgerRow] = []
    balance = fund.opening_balance
    for i in fund.income:
        balance += i.amount
        ledger.append(LedgerRow("", i.what, "", i.amount, None, balance))
    for s in sorted(fund.spending, key=r.approved):
        balance -= s.amount
        ledger.append(LedgerRow(r.approved(s).isoformat(), s.what, s.where, None, s.amount, balance,
                                s.decision or ""))
    col, pcol = r.meta.collection, prev.meta.collection if prev else None
    kpis = []
    for k in KPIS:
        kpi = getattr(r.meta.kpis, k)
        before = getattr(prev.meta.kpis, k).actual if prev else None
        kpis.append((t(f"reports.kpi.{k}"), kpi, kpi.actual >= kpi.target,
                     None if before is None else kpi.actual - before))
    sections = [(t(f"reports.section.{k}"), ctx.markdown(text))
                for k in SECTIONS if (text := getattr(r.meta.sections, k))]
    label = period_label(ctx, r.period)
    spent_rows = [(c.name, [c.amounts.actual]) for c in categories]
    breakdown = charts.bars(
        "chart-breakdown", t("reports.chart_breakdown", period=label),
        t("reports.chart_breakdown_desc") + "；".join(
            f"{c.name} {money(c.amounts.actual)}（{pct(c.share)}）" for c in categories),
        spent_rows, [("portal-chart--actual", t("reports.actual"))],
        lambda v: f"{money(v)} · {pct(percent_of(v, r.spent))}")
    budget_actual = charts.bars(
        "chart-budget", t("reports.chart_budget", period=label),
        t("reports.chart_budget_desc") + "；".join(
            f"{c.name} {t('reports.budget')} {money(c.amounts.budget)}，{t('reports.actual')} "
            f"{money(c.amounts.actual)}" for c in categories),
        [(c.name, [c.amounts.budget, c.amounts.actual]) for c in categories],
        [("portal-chart--budget", t("reports.budget")), ("portal-chart--actual", t("reports.actual"))],
        money)
    return {
        "corrections": list(r.meta.corrections), "feed": "../corrections.xml",
        "prev": prev, "prev_label": period_label(ctx, prev.period) if prev else "",
        "cards": [
            (t("reports.card_income"), Change(prev.income_total if prev else None, r.income_total)),
            (t("reports.card_spent"), Change(prev.spent if prev else None, r.spent)),
            (t("reports.card_balance"), Change(prev.balance if prev else None, r.balance)),
        ],
        "income": income, "income_total": Change(prev.income_total if prev else None, r.income_total),
        "category_rows": categories, "total": total,
        "total_change": Change(prev.spent if prev else None, r.spent),
        "ledger": ledger, "fund": fund, "fund_income": r.fund_income, "fund_spent": r.fund_spent,
        "collection": col, "fees": r.meta.income.property_fees,
        "rate_change": (col.rate_by_amount - pcol.rate_by_amount) if pcol else None,
        "hh_change": (col.rate_by_households - pcol.rate_by_households) if pcol else None,
        "kpis": kpis, "sections": sections,
        "preface": ctx.markdown(r.meta.preface) if r.meta.preface else "",
        "breakdown": breakdown, "budget_actual": budget_actual,
        "downloads": [(f"{r.period}.csv", t("reports.download_csv")),
                      (r.source.name, t("reports.download_yaml"))]
        + [(p.name, t("reports.download_lines")) for p in r.csv_sources],
    }


def trends_values(data: Reports, ctx: BuildContext) -> dict[str, Any]:
    t = ctx.t
    periods = [r.period for r in data.items]
    labels = [period_label(ctx, p) for p in periods]
    by_amount = [r.meta.collection.rate_by_amount for r in data.items]
    by_households = [r.meta.collection.rate_by_households for r in data.items]
    low = min(by_amount + by_households)
    floor = max(Decimal(0), (low // 5) * 5 - (5 if low % 5 < 1 else 0))
    rate_chart = charts.lines(
        "chart-collection", t("reports.chart_collection"),
        t("reports.chart_collection_desc") + "；".join(
            f"{lab} {t('reports.by_amount')} {pct(a)}，{t('reports.by_households')} {pct(h)}"
            for lab, a, h in zip(labels, by_amount, by_households, strict=True)),
        periods, [("portal-chart--actual", t("reports.by_amount"), by_amount),
                  ("portal-chart--second", t("reports.by_households"), by_households)],
        pct, floor, Decimal(100), Decimal(5))
    cats = {k: [r.by_category[k].actual for r in data.items] for k in CATEGORIES}
    small = [charts.bars(
        f"chart-trend-{k}", t("reports.chart_category_trend", name=name),
        "；".join(f"{p} {money(v)}" for p, v in zip(periods, cats[k], strict=True)),
        [(p, [v]) for p, v in zip(periods, cats[k], strict=True)],
        [("portal-chart--actual", t("reports.actual"))], money) for k, name in CATEGORIES.items()]
    return {"reports": data.items, "labels": labels, "rate_chart": rate_chart,
            "category_charts": list(zip(CATEGORIES.values(), small, strict=True)),
            "category_table": [(name, cats[k]) for k, name in CATEGORIES.items()],
            "spent": [r.spent for r in data.items],
            "satisfaction": [r.meta.kpis.satisfaction.actual for r in data.items]}


def figures_csv(r: Report, ctx: BuildContext) -> bytes:
    """The report's figures as CSV for Excel: UTF-8 with a BOM (else Excel misreads Chinese), CRLF."""
    t = ctx.t
    sec = {k: t(f"reports.csv.section_{k}") for k in ("income", "spending", "collection", "fund")}
    rows: list[list[str | Decimal]] = [[t(f"reports.csv.{c}") for c in (
        "section", "category", "item", "where", "approved", "budget", "amount")]]
    for k in INCOME_LINES:
        rows.append([sec["income"], t(f"reports.income.{k}"), "", "", "", "", r.income_lines[k]])
    rows.append([sec["income"], t("reports.total"), "", "", "", "", r.income_total])
    for line in r.lines:
        rows.append([sec["spending"], line.category, line.item or "", "", "", line.budget, line.actual])
    total = r.meta.expenditure.total
    rows.append([sec["spending"], t("reports.total"), "", "", "", total.budget, total.actual])
    fees = r.meta.income.property_fees
    rows.append([sec["collection"], t("reports.billed"), "", "", "", "", fees.billed])
    rows.append([sec["collection"], t("reports.collected"), "", "", "", "", fees.collected])
    fund = r.meta.maintenance_fund
    rows.append([sec["fund"], t("reports.opening_balance"), "", "", "", "", fund.opening_balance])
    for i in fund.income:
        rows.append([sec["fund"], t("reports.fund_income"), i.what, "", "", "", i.amount])
    for s in fund.spending:
        rows.append([sec["fund"], t("reports.fund_spending"), s.what, s.where, r.approved(s).isoformat(),
                     "", s.amount])
    rows.append([sec["fund"], t("reports.closing_balance"), "", "", "", "", fund.closing_balance])
    for c in r.meta.corrections:  # no silent corrections: the CSV says what changed, too
        rows.append([t("corrections.title"), c.field, f"{c.old} → {c.new}", c.reason,
                     c.date.isoformat(), "", ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [[f"{c:.2f}" if isinstance(c, Decimal) else c for c in row] for row in rows])
    return (BOM + buf.getvalue()).encode("utf-8")


BOM = "\ufeff"


def excel_csv(raw: bytes) -> bytes:
    """A staff CSV as published: UTF-8 with a BOM, so Excel on a Chinese Windows PC reads
    it (the loader has checked that it is UTF-8)."""
    return (BOM + raw.decode("utf-8").lstrip(BOM)).encode("utf-8")
