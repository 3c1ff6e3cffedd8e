"""Pages of the owners' decisions register: one page per decision, the index."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ... import corrections
from ...pipeline import BuildContext, LightPage, OutputFile
from ...urls import relative
from .model import ITEMS, K_OWNERS, STAGES, Decision, Register
from .reading import show
from .rules import Condition

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class VoteRow:
    label: str
    owners: int
    area: int
    withheld: bool  # fewer than K_OWNERS owners: the row is not shown


def share(count: int, whole: int) -> str:
    """count ÷ whole as a percentage with two decimals, for reading only (never for deciding)."""
    if whole == 0:
        return "—"
    value = (Decimal(count) * 100 / Decimal(whole)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    return f"{value}%"


def render(reg: Register, ctx: BuildContext) -> list[OutputFile | LightPage]:
    out: list[OutputFile | LightPage] = []
    common = _common(ctx)
    for d in reg.items:
        html = ctx.env.get_template("portal/decision_page.html").render(
            d=d, page=d.url, **decision_values(d, ctx), **common)
        out.append(LightPage(
            url=d.url, title=d.meta.title,
            description=ctx.t("decisions.page_description", item=d.meta.item,
                              result=ctx.t(f"decisions.result_{d.meta.result}")),
            search_text=f"{ctx.t('decisions.title')} {d.meta.title} {d.meta.matter}", html=html))
        if d.source_file is not None:
            out.append(OutputFile(f"{d.url}{d.source_file.name}", d.source_file.read_bytes()))
    fixes = [f for d in reg.items for f in corrections.shown(
        f"content/decisions/{d.path.name}", d.url, d.meta.title, list(d.meta.corrections))]
    out.append(OutputFile("decisions/corrections.xml", corrections.feed(
        ctx.site_url, "decisions/", ctx.t("corrections.feed_title", section=ctx.t("decisions.title")),
        ctx.t.language, fixes, ctx.tz)))
    out.append(OutputFile(f"{corrections.FOLDER}/decisions.json", corrections.published_json(
        {f"content/decisions/{d.path.name}": d.figures for d in reg.items})))
    out.append(OutputFile("decisions/index.md", ctx.env.get_template(
        "portal/decisions_index.md").render(decisions=list(reversed(reg.items)), page="decisions/",
                                            **common)))
    return out


def _common(ctx: BuildContext) -> dict[str, Any]:
    return {"t": ctx.t, "community": ctx.community, "now": ctx.now, "rel": relative,
            "items": ITEMS, "show": show, "share": share}


def decision_values(d: Decision, ctx: BuildContext) -> dict[str, Any]:
    """What a decision's page shows, worked out here so the template only lays it out."""
    m = d.meta
    taking = m.participation.owners
    rows = [VoteRow(ctx.t(f"decisions.vote_{k}"), tally.owners, tally.area,
                    0 < tally.owners < K_OWNERS)
            for k, tally in (("for", m.votes.for_), ("against", m.votes.against),
                             ("abstain", m.votes.abstain))]
    return {
        "stages": [(ctx.t(f"decisions.stage_{k}"), getattr(m.stages, k)) for k in STAGES],
        "vote_rows": rows,
        "votes_withheld": taking < K_OWNERS,
        "any_withheld": any(r.withheld for r in rows),
        "k": K_OWNERS,
        "conditions": [condition_values(c, ctx) for c in d.conditions],
        "in_effect": d.in_effect_by(ctx.now.date()),
        "corrections": list(m.corrections), "feed": "../corrections.xml",
    }


def condition_values(c: Condition, ctx: BuildContext) -> dict[str, Any]:
    what = c.key.split(".")[1]
    return {
        "c": c,
        "label": ctx.t(f"decisions.cond_{c.key.replace('.', '_')}"),
        "rule": ctx.t(f"decisions.rule_{c.rule.kind}", fraction=c.rule.fraction),
        "whole": show(what, c.whole), "needed": show(what, c.needed),
        "count": show(what, c.count), "share": share(c.count, c.whole),
        "margin": ("+" if c.margin >= 0 else "−") + show(what, abs(c.margin)),
    }
