"""Reading content/reports/: each period's YAML (numbers as Decimal), its CSV, the checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ... import corrections
from ...common import aware
from ...content import Loader
from ...pipeline import BuildContext
from ..decisions import reading as decisions
from ..decisions.model import Register
from .checks import check
from .csv_lines import read_lines_csv
from .model import (
    CSV_NAME,
    PERIOD_FILE,
    ExpenditureLine,
    Report,
    ReportFile,
    Reports,
    period_end,
    previous_period,
)


def load(ctx: BuildContext, loader: Loader) -> Reports:
    """Every report in content/reports/, read exactly, checked; scheduled ones only counted."""
    folder = ctx.content_dir / "reports"
    community = ctx.community
    context = {"phones": [c.phone for c in community.contacts] if community else []}
    households = community.households if community else None
    items: list[Report] = []
    scheduled = 0
    register: Register | None = None
    published_before = corrections.snapshot(ctx.content_dir, "reports", loader)
    for path in sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []:
        if not path.name.endswith((".yml", ".yaml")):
            continue  # CSV files beside the reports, notes
        m = PERIOD_FILE.match(path.name)
        if not m:
            if path.name[:4].isdigit():  # meant as a report, misnamed
                loader.error(path, "(file name)",
                             "the period and .yml, such as 2026-H1.yml or 2026-H2.yml",
                             repr(path.name))
            continue
        period = f"{m.group(1)}-H{m.group(2)}"
        raw = loader.yaml_file(path, decimals=True)
        if raw is None and loader.errors and loader.errors[-1].file == loader.rel(path):
            continue
        lines: list[ExpenditureLine] | None = None
        csv_sources: list[Path] = []
        if isinstance(raw, dict) and isinstance(raw.get("expenditure_csv"), str) \
                and CSV_NAME.match(raw["expenditure_csv"]):
            csv_path = path.parent / raw["expenditure_csv"]
            if not csv_path.is_file():
                loader.error(path, "expenditure_csv", f"a file {raw['expenditure_csv']!r} beside "
                             "the report", "no such file")
            else:
                lines = read_lines_csv(loader, csv_path)
                csv_sources.append(csv_path)
        meta = loader.model(path, ReportFile, raw, context=context)
        if meta is None:
            continue
        if meta.expenditure_csv is None:
            lines = list(meta.expenditure.lines)
        problems = check(meta, lines, period, households)
        effective: dict[str, date] = {}
        for i, s in enumerate(meta.maintenance_fund.spending):
            if s.decision is None:
                continue
            register = register or decisions.register(ctx)
            why = decisions.reference(register, s.decision, period_end(period), item=5)
            d = register.get(s.decision)
            if why is None and d is not None and d.meta.stages.effective is not None:
                effective[s.decision] = d.meta.stages.effective
            else:
                problems.append((f"maintenance_fund.spending.{i}.decision", "an owners' decision on "
                                 "art. 278 item (5) (using the maintenance fund) in content/decisions/ "
                                 f"that met its thresholds and took effect by {period_end(period)}",
                                 why or repr(s.decision)))
        for field_name, expected, found in problems:
            loader.error(path, field_name, expected, found)
        if problems or lines is None:
            continue
        figures = corrections.figures(raw)
        if not corrections.check(loader, path, figures, list(meta.corrections), published_before):
            continue
        published = aware(meta.published, ctx.tz)
        if published > ctx.now:
            scheduled += 1
            continue
        items.append(Report(period, path, meta, lines, published, csv_sources, decisions=effective,
                             figures=figures))
    items.sort(key=lambda r: r.period)
    by_period = {r.period: r for r in items}
    for r in items:
        r.prev = by_period.get(previous_period(r.period))
    return Reports(items, scheduled)
