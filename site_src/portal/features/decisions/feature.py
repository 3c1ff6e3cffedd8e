"""Owners' decisions register (业主共同决定): content/decisions/<id>.yml and the rule table.

The portal re-publishes a decision as its convener announced it and checks it against
art. 278 of the Civil Code; it never runs a vote. Each decision states the matter and its
art. 278 item, who convened it, the buildings, the electorate, participation and the
votes in owners and in area, the stages with dates and the source document. The build
computes from whole numbers (areas in 0.01 m²) whether the thresholds of the rule table
(`rules.yml`: the national rules, and any local profile a decision names) were met, and
refuses a declared result that does not follow from the figures. Fund and 公共收益
spending that cites a decision is checked against this register (`reading.reference`).

    rules.py    thresholds in integers: at least / more than p/q of a whole
    model.py    the schemas of rules.yml and of a decision; Decision, Register
    reading.py  load(), the checks, references from other sections
    pages.py    a page per decision and the index
"""

from __future__ import annotations

from ...content import Loader
from ...pipeline import BuildContext, Feature, LightPage, NavItem, OutputFile
from . import pages, reading
from .model import ID, Register


class DecisionsFeature(Feature):
    key = "decisions"

    def source_url(self, file: str) -> str | None:
        folder, _, name = file.rpartition("/")
        stem = name.rsplit(".", 1)[0]
        if folder != f"content/{reading.FOLDER}" or name == reading.RULES or not ID.match(stem):
            return None
        return f"decisions/{stem}/"

    def load(self, ctx: BuildContext, loader: Loader) -> Register:
        return reading.load(ctx, loader)

    def render(self, data: Register, ctx: BuildContext) -> list[OutputFile | LightPage]:
        return pages.render(data, ctx) if data.items else []

    def nav(self, data: Register, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("decisions.title"), "decisions/index.md")
