"""Reading content/public-income/: each ledger, checked to the cent and along the chain of periods."""

from __future__ import annotations

import itertools

from ... import corrections
from ...common import aware, naive
from ...content import Loader
from ...pipeline import BuildContext
from ...types import show_when
from ..decisions import reading as decisions
from ..decisions.model import Register
from ..reports.format import money
from .model import FILE, Ledger, LedgerFile, next_period

FOLDER = "public-income"


def load(ctx: BuildContext, loader: Loader) -> list[Ledger]:
    """Published ledgers, oldest first; every problem recorded on `loader`."""
    folder = ctx.content_dir / FOLDER
    paths = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    if not paths:
        return []
    register = decisions.register(ctx)
    published_before = corrections.snapshot(ctx.content_dir, "public-income", loader)
    parsed: list[Ledger] = []
    good: set[str] = set()
    for path in paths:
        m = FILE.match(path.name)
        if not m:
            loader.error(path, "(file name)", "the period and .yml, such as 2026-H1.yml", repr(path.name))
            continue
        raw = loader.yaml_file(path, decimals=True)
        meta = loader.model(path, LedgerFile, raw)
        if meta is None:
            continue
        ledger = Ledger(f"{m.group(1)}-H{m.group(2)}", path, meta, aware(meta.published, ctx.tz),
                        corrections.figures(raw))
        parsed.append(ledger)
        if check(loader, ledger, register) and corrections.check(
                loader, path, ledger.figures, list(meta.corrections), published_before):
            good.add(ledger.period)
    chain(loader, parsed)
    broken = {e.file for e in loader.errors}
    return [g for g in parsed if g.period in good and g.published <= ctx.now
            and loader.rel(g.path) not in broken]


def check(loader: Loader, g: Ledger, register: Register) -> bool:
    """Every figure of one ledger against what it is computed from; True when all agree."""
    before = len(loader.errors)
    meta, path = g.meta, g.path
    if meta.period != g.period:
        loader.error(path, "period", f"the period in the file name ({g.period})", repr(meta.period))
    elif naive(meta.published).date() <= g.end:
        loader.error(path, "published", f"a date after the period ends ({g.end})",
                     show_when(meta.published))
    share = g.income - g.costs
    if meta.owners_share != share:
        loader.error(path, "owners_share", f"{money(share)} (income {money(g.income)} − costs "
                     f"{money(g.costs)})", money(meta.owners_share))
    closing = meta.opening_balance + g.income - g.costs - g.uses
    if meta.closing_balance != closing:
        loader.error(path, "closing_balance", f"{money(closing)} (opening_balance "
                     f"{money(meta.opening_balance)} + income {money(g.income)} − costs "
                     f"{money(g.costs)} − uses {money(g.uses)})", money(meta.closing_balance))
    for i, use in enumerate(meta.uses):
        if (use.decision is None) == (use.no_decision_because is None):
            loader.error(path, f"uses.{i}", "either decision (the owners' decision it carries out) "
                         "or no_decision_because (why none was needed)",
                         "both" if use.decision else "neither")
        elif use.decision is not None:
            why = decisions.reference(register, use.decision, g.end)
            if why is not None:
                loader.error(path, f"uses.{i}.decision", "an owners' decision in content/decisions/ "
                             f"that met its thresholds and took effect by {g.end}", why)
    return len(loader.errors) == before


def chain(loader: Loader, ledgers: list[Ledger]) -> None:
    """Each closing balance is the next period's opening balance, with no period left out."""
    for prev, cur in itertools.pairwise(ledgers):
        want = next_period(prev.period)
        if cur.period != want:
            loader.error(cur.path, "period", f"{want} (the half-year after "
                         f"{loader.rel(prev.path)}): no period may be left out", repr(cur.period))
        elif cur.meta.opening_balance != prev.meta.closing_balance:
            loader.error(cur.path, "opening_balance", f"{money(prev.meta.closing_balance)} (the "
                         f"closing_balance of {loader.rel(prev.path)})",
                         money(cur.meta.opening_balance))
