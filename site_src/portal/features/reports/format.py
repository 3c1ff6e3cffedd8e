"""Figures in words: amounts, signed changes, percentages, period names."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ...pipeline import BuildContext
from .model import CENT, TENTH


def money(value: Decimal) -> str:
    """1234567.5 → '1,234,567.50' (how figures appear on pages and in errors)."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + money(value)


def pct(value: Decimal | None, sign: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value.quantize(TENTH, rounding=ROUND_HALF_UP):.1f}%"
    return ("+" + text) if sign and value > 0 else text


# --- arithmetic checks -------------------------------------------------------------------


def period_label(ctx: BuildContext, period: str) -> str:
    return ctx.t(f"reports.half_{period[-1]}", year=period[:4])
