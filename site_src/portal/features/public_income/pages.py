"""Pages of the 公共收益 ledgers: one per half-year with its CSV, and the index across periods."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from ... import corrections
from ...pipeline import BuildContext, LightPage, OutputFile
from ...urls import relative
from ..reports.format import money, period_label
from ..reports.pages import BOM
from .model import Ledger


def render(ledgers: list[Ledger], ctx: BuildContext) -> list[OutputFile | LightPage]:
    out: list[OutputFile | LightPage] = []
    common = {"t": ctx.t, "rel": relative, "money": money,
              "label": lambda p: period_label(ctx, p)}
    for g in ledgers:
        label = period_label(ctx, g.period)
        html = ctx.env.get_template("portal/public_income_page.html").render(
            g=g, page=g.url, corrections=list(g.meta.corrections), feed="../corrections.xml",
            **common)
        out.append(LightPage(
            url=g.url, title=ctx.t("public_income.page_title", period=label),
            description=ctx.t("public_income.page_description", period=label,
                              income=money(g.income), share=money(g.meta.owners_share)),
            search_text=f"{ctx.t('public_income.title')} {label} "
            + " ".join(i.source for i in g.meta.income), html=html))
        out.append(OutputFile(f"{g.url}public-income-{g.period}.csv", ledger_csv(g, ctx)))
    fixes = [f for g in ledgers for f in corrections.shown(
        f"content/public-income/{g.path.name}", g.url,
        ctx.t("public_income.page_title", period=period_label(ctx, g.period)),
        list(g.meta.corrections))]
    out.append(OutputFile("public-income/corrections.xml", corrections.feed(
        ctx.site_url, "public-income/", ctx.t("corrections.feed_title",
                                              section=ctx.t("public_income.title")),
        ctx.t.language, fixes, ctx.tz)))
    out.append(OutputFile(f"{corrections.FOLDER}/public-income.json", corrections.published_json(
        {f"content/public-income/{g.path.name}": g.figures for g in ledgers})))
    out.append(OutputFile("public-income/index.md", ctx.env.get_template(
        "portal/public_income_index.md").render(ledgers=list(reversed(ledgers)),
                                                page="public-income/", **common)))
    return out


def ledger_csv(g: Ledger, ctx: BuildContext) -> bytes:
    """The ledger as CSV for Excel: UTF-8 with a BOM, CRLF, one row per line of the page."""
    t = ctx.t
    rows: list[list[Any]] = [[t(f"public_income.csv.{c}") for c in (
        "section", "item", "counterparty", "basis", "decision", "amount")]]
    rows.append([t("public_income.opening_balance"), "", "", "", "", g.meta.opening_balance])
    rows += [[t("public_income.income"), i.source, i.counterparty, i.note or "", "", i.amount]
             for i in g.meta.income]
    rows += [[t("public_income.costs"), c.what, "", c.basis, "", c.amount] for c in g.meta.costs]
    rows.append([t("public_income.owners_share"), "", "", "", "", g.meta.owners_share])
    rows += [[t("public_income.uses"), u.what, "", u.no_decision_because or "", u.decision or "",
              u.amount] for u in g.meta.uses]
    rows.append([t("public_income.closing_balance"), "", "", "", "", g.meta.closing_balance])
    rows += [[t("corrections.title"), c.field, f"{c.old} → {c.new}", c.reason, c.date.isoformat(), ""]
             for c in g.meta.corrections]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [[f"{c:.2f}" if isinstance(c, Decimal) else c for c in row] for row in rows])
    return (BOM + buf.getvalue()).encode("utf-8")
