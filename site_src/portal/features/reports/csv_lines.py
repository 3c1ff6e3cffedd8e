"""Expenditure lines from a CSV staff export from their accounts (a column per field)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import ValidationError

from ...content import Loader
from ...errors import ContentError, from_pydantic
from .model import ExpenditureLine

CSV_COLUMNS = {"category": "category", "item": "item", "budget": "budget", "actual": "actual",
               "note": "note", "类别": "category", "项目": "item", "预算": "budget",
               "实际": "actual", "备注": "note"}


def read_lines_csv(loader: Loader, path: Path) -> list[ExpenditureLine] | None:
    """Expenditure lines from a CSV (header row; UTF-8, with or without BOM); None on any problem."""
    text = loader.read_text(path)
    if text is None:
        return None
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        loader.error(path, "(file)", "a header row and one row per line", "an empty file")
        return None
    header = [h.strip() for h in rows[0]]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        loader.error(path, "row 1 (header)",
                     "the columns category, item, budget, actual, note (or 类别, 项目, 预算, 实际, 备注)",
                     repr(unknown[0]))
        return None
    names = [CSV_COLUMNS[h] for h in header]
    lines: list[ExpenditureLine] = []
    ok = True
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            loader.error(path, f"row {number}", f"{len(names)} cells like the header", f"{len(row)} cells")
            ok = False
            continue
        data = {name: cell for name, cell in zip(names, row, strict=True) if cell.strip()}
        try:
            lines.append(ExpenditureLine.model_validate(data))
        except ValidationError as exc:
            loader.errors.extend(ContentError(e.file, f"row {number}, column {e.field}", e.expected,
                                              e.found) for e in from_pydantic(loader.rel(path), exc))
            ok = False
    return lines if ok else None
