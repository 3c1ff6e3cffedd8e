"""Reading content/decisions/: the rule table, each decision, its checks; references to them."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date
from pathlib import Path

from ... import corrections
from ...content import Loader
from ...pipeline import BuildContext
from .model import (
    ID,
    ITEMS,
    STAGES,
    Decision,
    DecisionFile,
    Register,
    RulesFile,
    resolve,
)
from .rules import Profile, conditions

FOLDER = "decisions"
RULES = "rules.yml"


def load(ctx: BuildContext, loader: Loader) -> Register:
    """Every decision whose result is posted, checked; problems recorded on `loader`."""
    folder = ctx.content_dir / FOLDER
    files = sorted(p for p in folder.glob("*.y*ml") if p.name != RULES) if folder.is_dir() else []
    if not files:
        return Register([])
    profiles = load_rules(loader, folder / RULES)
    buildings = ctx.community.buildings if ctx.community else None
    register = Register([])
    published_before = corrections.snapshot(ctx.content_dir, "decisions", loader)
    for path in files:
        decision = load_decision(loader, path, profiles, buildings, published_before)
        if decision is None:
            register.broken.add(path.stem)
        elif decision.meta.stages.result_posted > ctx.now.date():
            register.scheduled.add(path.stem)
        else:
            register.items.append(decision)
    register.items.sort(key=lambda d: (d.meta.stages.result_posted, d.id))
    return register


def register(ctx: BuildContext) -> Register:
    """The register as other sections see it, to check what they cite (its own problems are
    reported once, by the decisions section)."""
    return load(ctx, Loader(ctx.content_dir))


def load_rules(loader: Loader, path: Path) -> dict[str, Profile] | None:
    """Every profile of the rule table by key, the default under '' too; None on a problem."""
    if not path.is_file():
        loader.error(path, "(file)", "the rule table (the national rules of art. 278 and any "
                     "local profile) beside the decisions", "no such file")
        return None
    meta = loader.model(path, RulesFile, loader.yaml_file(path))
    if meta is None:
        return None
    out: dict[str, Profile] = {}
    ok = True
    for key in meta.profiles:
        profile, why = resolve(key, meta.profiles)
        if profile is None:
            loader.error(path, f"profiles.{key}", "a profile (or what it is based_on) that "
                         "states participation and items 1 to 9", why)
            ok = False
        else:
            out[key] = profile
    if meta.default not in meta.profiles:
        loader.error(path, "default", "one of the profiles (" + ", ".join(
            repr(k) for k in meta.profiles) + ")", repr(meta.default))
        ok = False
    if not ok:
        return None
    out[""] = out[meta.default]
    return out


def load_decision(loader: Loader, path: Path, profiles: dict[str, Profile] | None,
                  buildings: list[str] | None,
                  published_before: dict[str, dict[str, str]]) -> Decision | None:
    if not ID.match(path.stem) or path.suffix != ".yml":
        loader.error(path, "(file name)", "lower-case letters, digits and '-' and .yml, such as "
                     "2026-lift-ads.yml", repr(path.name))
        return None
    raw = loader.yaml_file(path, decimals=True)
    meta = loader.model(path, DecisionFile, raw)
    if meta is None or profiles is None:
        return None
    errors = len(loader.errors)
    profile = profiles.get(meta.rules or "")
    if profile is None:
        loader.error(path, "rules", "a profile of content/decisions/rules.yml (" + ", ".join(
            repr(k) for k in profiles if k) + ")", repr(meta.rules))
        return None
    for i, b in enumerate(meta.buildings or []):
        if buildings is not None and b not in buildings:
            loader.error(path, f"buildings.{i}", "a building of content/community.yml ("
                         + ", ".join(buildings) + ")", repr(b))
    el, part, v = meta.electorate, meta.participation, meta.votes
    for what in ("owners", "area"):
        total, taking = getattr(el, what), getattr(part, what)
        if taking > total:
            loader.error(path, f"participation.{what}", f"at most electorate.{what} "
                         f"({show(what, total)})", show(what, taking))
        cast = getattr(v.for_, what) + getattr(v.against, what) + getattr(v.abstain, what)
        if cast != taking:
            loader.error(path, f"votes.{what}", f"for + against + abstain = participation.{what} "
                         f"({show(what, taking)})", show(what, cast))
    days = [(k, getattr(meta.stages, k)) for k in STAGES]
    given = [(k, d) for k, d in days if d is not None]
    for (k0, d0), (k1, d1) in itertools.pairwise(given):
        if d1 < d0:
            loader.error(path, f"stages.{k1}", f"a date on or after stages.{k0} ({d0})", d1.isoformat())
    source_file = check_source(loader, path, meta)
    figures = corrections.figures(raw)
    corrections.check(loader, path, figures, list(meta.corrections), published_before)
    if len(loader.errors) > errors:
        return None
    decision = Decision(path.stem, path, meta, profile, conditions(
        profile, meta.item, el.tally(), part.tally(), v.for_.tally()), source_file, figures)
    computed = "passed" if decision.passed else "failed"
    if meta.result != computed:
        loader.error(path, "result", f"{computed!r} ({why(decision)})", repr(meta.result))
        return None
    if not decision.passed and meta.stages.effective is not None:
        loader.error(path, "stages.effective", "no date (a decision that did not pass never takes "
                     "effect)", meta.stages.effective.isoformat())
        return None
    return decision


def check_source(loader: Loader, path: Path, meta: DecisionFile) -> Path | None:
    src = meta.source
    if (src.url is None) == (src.file is None):
        loader.error(path, "source", "either url (a link) or file (a document beside the decision)",
                     "both" if src.url else "neither")
        return None
    if src.file is None:
        if src.sha256 is not None:
            loader.error(path, "source.sha256", "no checksum for a link (only for a file)",
                         repr(src.sha256))
        return None
    doc = path.parent / src.file
    if not doc.is_file():
        loader.error(path, "source.file", f"a file {src.file!r} beside the decision", "no such file")
        return None
    actual = hashlib.sha256(doc.read_bytes()).hexdigest()
    if src.sha256 != actual:
        loader.error(path, "source.sha256", f"{actual!r} (the SHA-256 of {loader.rel(doc)})",
                     "nothing" if src.sha256 is None else repr(src.sha256))
        return None
    return doc


def show(what: str, value: int) -> str:
    """A count as written, an area back in m²."""
    return f"{value // 100}.{value % 100:02d} m²" if what == "area" else str(value)


def why(d: Decision) -> str:
    if d.passed:
        return "all four conditions of art. 278 met"
    return "; ".join(f"{c.key} {show(c.key.split('.')[1], c.count)} is not {c.rule} of "
                     f"{show(c.key.split('.')[1], c.whole)}" for c in d.failed_on)


def reference(reg: Register, decision_id: str, by: date, item: int | None = None) -> str | None:
    """Why `decision_id` cannot be cited for money spent by `by` (None when it can): it must
    exist, have met its thresholds and have taken effect by then (and decide `item`)."""
    rel = f"content/{FOLDER}/{decision_id}.yml"
    if decision_id in reg.broken:
        return f"{decision_id!r} ({rel} has problems of its own)"
    d = reg.get(decision_id)
    if d is None:
        if decision_id in reg.scheduled:
            return f"{decision_id!r} ({rel}: its result is not posted yet)"
        return f"{decision_id!r} (no such file {rel})"
    if not d.passed:
        return f"{decision_id!r} ({rel} did not meet its thresholds: {why(d)})"
    eff = d.meta.stages.effective
    if eff is None or eff > by:
        when = "has no effective date" if eff is None else f"takes effect on {eff}"
        return f"{decision_id!r} ({rel} {when})"
    if item is not None and d.meta.item != item:
        return f"{decision_id!r} ({rel} decides art. 278 item {d.meta.item}, {ITEMS[d.meta.item]})"
    return None
