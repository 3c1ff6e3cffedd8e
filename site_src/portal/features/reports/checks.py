"""Arithmetic checks: every declared total and rate against what it is computed from."""

from __future__ import annotations

from decimal import Decimal

from ...common import naive
from ...types import show_when
from .format import money
from .model import KPIS, ExpenditureLine, Kpi, ReportFile, percent_of, period_end

Problem = tuple[str, str, str]


def check(meta: ReportFile, lines: list[ExpenditureLine] | None, period: str,
          households: int | None) -> list[Problem]:
    """Every figure that does not agree with what it is computed from, as (field, expected, found).

    `lines` is None when the expenditure lines could not be read (their CSV has errors):
    then the sums over them are not checked.
    """
    out: list[Problem] = []
    if meta.period != period:
        out.append(("period", f"the period in the file name ({period})", repr(meta.period)))
    elif naive(meta.published).date() <= period_end(period):
        out.append(("published", f"a date after the period ends ({period_end(period)})",
                    show_when(meta.published)))
    if naive(meta.signature.date) > naive(meta.published):
        out.append(("signature.date", f"a date on or before 'published' ({show_when(meta.published)})",
                    show_when(meta.signature.date)))

    inc = meta.income
    income_sum = (inc.property_fees.collected + inc.parking + inc.shared_space
                  + inc.special_services + inc.other)
    if inc.total != income_sum:
        out.append(("income.total", f"{money(income_sum)} (property_fees.collected + parking + "
                    "shared_space + special_services + other)", money(inc.total)))

    if meta.expenditure_csv is not None and meta.expenditure.lines:
        out.append(("expenditure.lines", "the lines either here or in expenditure_csv, not both",
                    f"a list of {len(meta.expenditure.lines)} and expenditure_csv "
                    f"{meta.expenditure_csv!r}"))
    elif lines is not None and not lines:
        out.append(("expenditure.lines", "at least one line (or expenditure_csv naming a CSV file "
                    "beside the report)", "nothing"))
    elif lines is not None:
        total = meta.expenditure.total
        for what in ("budget", "actual"):
            computed = sum((getattr(line, what) for line in lines), Decimal(0))
            declared: Decimal = getattr(total, what)
            if declared != computed:
                out.append((f"expenditure.total.{what}", f"{money(computed)} (the sum of the lines)",
                            money(declared)))

    fund = meta.maintenance_fund
    f_in = sum((i.amount for i in fund.income), Decimal(0))
    f_out = sum((s.amount for s in fund.spending), Decimal(0))
    closing = fund.opening_balance + f_in - f_out
    if fund.closing_balance != closing:
        out.append(("maintenance_fund.closing_balance",
                    f"{money(closing)} (opening_balance {money(fund.opening_balance)} + income "
                    f"{money(f_in)} − spending {money(f_out)})", money(fund.closing_balance)))
    for i, s in enumerate(fund.spending):
        if s.approved is None and s.decision is None:
            out.append((f"maintenance_fund.spending.{i}", "decision (the owners' decision in "
                        "content/decisions/ that approved it) or approved (its date)", "neither"))
        elif s.approved is not None and s.approved > period_end(period):
            out.append((f"maintenance_fund.spending.{i}.approved",
                        f"a date on or before the end of the period ({period_end(period)})",
                        s.approved.isoformat()))

    col = meta.collection
    fees = inc.property_fees
    if fees.collected > fees.billed:
        out.append(("income.property_fees.collected",
                    f"at most the amount billed ({money(fees.billed)})", money(fees.collected)))
    else:
        out.extend(_rate("collection.rate_by_amount", col.rate_by_amount, fees.collected,
                         fees.billed, f"collected {money(fees.collected)} ÷ billed {money(fees.billed)}"))
    if households is not None and col.households_billed > households:
        out.append(("collection.households_billed",
                    f"at most the households in content/community.yml ({households})",
                    str(col.households_billed)))
    if col.households_paid > col.households_billed:
        out.append(("collection.households_paid",
                    f"at most households_billed ({col.households_billed})", str(col.households_paid)))
    else:
        out.extend(_rate("collection.rate_by_households", col.rate_by_households,
                         Decimal(col.households_paid), Decimal(col.households_billed),
                         f"households_paid {col.households_paid} ÷ households_billed "
                         f"{col.households_billed}"))
    for key in KPIS:
        kpi: Kpi = getattr(meta.kpis, key)
        where = f"kpis.{key}"
        if (kpi.achieved is None) != (kpi.out_of is None):
            out.append((where, "both achieved and out_of, or neither",
                        "only " + ("achieved" if kpi.out_of is None else "out_of")))
        elif kpi.achieved is not None and kpi.out_of is not None:
            if kpi.achieved > kpi.out_of:
                out.append((f"{where}.achieved", f"at most out_of ({kpi.out_of})", str(kpi.achieved)))
            else:
                out.extend(_rate(f"{where}.actual", kpi.actual, Decimal(kpi.achieved),
                                 Decimal(kpi.out_of), f"achieved {kpi.achieved} ÷ out_of {kpi.out_of}"))
    return out


def _rate(field_name: str, declared: Decimal, part: Decimal, whole: Decimal,
          source: str) -> list[Problem]:
    computed = percent_of(part, whole)
    if computed is not None and declared != computed:
        return [(field_name, f"{computed:.1f} ({source} × 100, rounded to 1 decimal place)",
                 f"{declared}")]
    return []
