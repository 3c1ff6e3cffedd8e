"""公共收益 ledgers: content/public-income/<period>.yml, one per half-year (Civil Code art. 282, 943).

Checked to the cent (owners_share = income − costs; opening + income − costs − uses =
closing) and along the chain of periods (a closing balance is the next opening balance,
no half-year left out: a break names both files). Every use cites an owners' decision
that exists, met its thresholds and took effect by the end of the period (the decisions
register), or says why none was needed.

    model.py    the file schema (no person is named: counterparties are kinds), Ledger
    reading.py  load(), the checks, the chain
    pages.py    a page and a CSV per half-year, the index
"""

from __future__ import annotations

from ...content import Loader
from ...pipeline import BuildContext, Feature, LightPage, NavItem, OutputFile
from . import pages, reading
from .model import FILE, Ledger


class PublicIncomeFeature(Feature):
    key = "public_income"

    def source_url(self, file: str) -> str | None:
        folder, _, name = file.rpartition("/")
        m = FILE.match(name)
        if folder != f"content/{reading.FOLDER}" or not m:
            return None
        return f"public-income/{m.group(1)}-H{m.group(2)}/"

    def load(self, ctx: BuildContext, loader: Loader) -> list[Ledger]:
        return reading.load(ctx, loader)

    def render(self, data: list[Ledger], ctx: BuildContext) -> list[OutputFile | LightPage]:
        return pages.render(data, ctx) if data else []

    def nav(self, data: list[Ledger], ctx: BuildContext) -> NavItem | None:
        return NavItem(ctx.t("public_income.title"), "public-income/index.md") if data else None
