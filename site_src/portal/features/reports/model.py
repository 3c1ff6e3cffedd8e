"""Disclosures at the bottom: the file schema and the loaded report with its amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from ...corrections import Correction
from ...errors import FieldProblem
from ...types import Phone, Strict, Text, When, public_number
from .fields import Count, Markdown, Money, Percent

PERIOD = re.compile(r"^(\d{4})-H([12])$")
# "-h" too: the content editor (Decap) writes new file names in lower case
PERIOD_FILE = re.compile(r"^(\d{4})-[Hh]([12])\.ya?ml$")
CSV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.csv$")

# Expenditure categories: what property fees pay for (DOMAIN.md "Fees"), key → the name
# staff write in the files. The order is the order of every table and chart.
CATEGORIES: dict[str, str] = {
    "staff": "人员费用",
    "maintenance": "共用部位及设施设备日常运行维护费",
    "cleaning": "清洁卫生费",
    "greening": "绿化养护费",
    "security": "秩序维护费",
    "office": "办公费",
    "depreciation": "固定资产折旧",
    "insurance": "公众责任保险费",
    "agreed": "业主同意的其他费用",
    "taxes": "税费",
}
INCOME_LINES = ("property_fees", "parking", "shared_space", "special_services", "other")
SECTIONS = ("equipment", "security", "fire_safety", "parking", "cleaning", "greening",
            "pest_control", "evaluation", "other")
KPIS = ("satisfaction", "complaint_handling", "follow_up")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)


class PropertyFees(Strict):
    billed: Money  # 应收
    collected: Money  # 实收


class Income(Strict):
    property_fees: PropertyFees
    parking: Money
    shared_space: Money  # 公共收益
    special_services: Money  # 有偿特约服务
    other: Money
    total: Money


class ExpenditureLine(Strict):
    """One expenditure line: in the YAML list or one row of the CSV beside it."""

    category: Text
    item: Text | None = None
    budget: Money
    actual: Money
    note: Text | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES.values():
            raise FieldProblem("", "one of " + ", ".join(repr(c) for c in CATEGORIES.values()),
                               repr(value))
        return value

    @property
    def key(self) -> str:
        return next(k for k, name in CATEGORIES.items() if name == self.category)


class BudgetActual(Strict):
    budget: Money
    actual: Money


class Expenditure(Strict):
    lines: list[ExpenditureLine] = Field(default_factory=list)
    total: BudgetActual


class FundIncome(Strict):
    what: Text
    amount: Money


class FundSpending(Strict):
    what: Text
    where: Text
    amount: Money
    # The owners' approval of this use of the fund: the decision in content/decisions/
    # (checked: it met its thresholds and took effect), or, in older reports, its date.
    decision: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None
    approved: date | None = None

    @field_validator("approved", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise FieldProblem("", "a date such as 2026-05-01", repr(value))
        return value


class MaintenanceFund(Strict):
    opening_balance: Money
    income: list[FundIncome] = Field(default_factory=list)
    spending: list[FundSpending] = Field(default_factory=list)
    closing_balance: Money


class Collection(Strict):
    """Fee collection: by amount (income.property_fees) and by households."""

    households_billed: int = Field(gt=0)
    households_paid: Count
    rate_by_amount: Percent
    rate_by_households: Percent


class Kpi(Strict):
    target: Percent
    actual: Percent
    achieved: Count | None = None  # e.g. satisfied answers …
    out_of: int | None = Field(default=None, gt=0)  # … out of answers received


class Kpis(Strict):
    satisfaction: Kpi
    complaint_handling: Kpi
    follow_up: Kpi


class Sections(Strict):
    equipment: Markdown
    security: Markdown
    fire_safety: Markdown
    parking: Markdown
    cleaning: Markdown
    greening: Markdown
    pest_control: Markdown
    evaluation: Markdown
    other: Markdown | None = None


class Contact(Strict):
    name: Text
    role: Text
    phone: Phone
    follow_up: Text  # how questions are followed up

    @field_validator("phone")
    @classmethod
    def _public_number(cls, value: str, info: ValidationInfo) -> str:
        return public_number(value, (info.context or {})["phones"])


class Signature(Strict):
    manager: Text
    company: Text
    date: When


class ReportFile(Strict):
    """content/reports/<period>.yml."""

    period: Annotated[str, StringConstraints(strip_whitespace=True),
                      Field(json_schema_extra={"pattern": PERIOD.pattern})]  # the editor's check
    currency: Literal["CNY"] = "CNY"
    published: When
    preface: Markdown | None = None
    income: Income
    expenditure: Expenditure
    expenditure_csv: str | None = None
    maintenance_fund: MaintenanceFund
    collection: Collection
    kpis: Kpis
    sections: Sections
    contact: Contact
    signature: Signature
    corrections: list[Correction] = Field(default_factory=list)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not PERIOD.match(value):
            raise FieldProblem("", "a half-year such as 2026-H1 or 2026-H2", repr(value))
        return value

    @field_validator("expenditure_csv")
    @classmethod
    def _csv_name(cls, value: str | None) -> str | None:
        if value is not None and not CSV_NAME.match(value):
            raise FieldProblem("", "the name of a .csv file beside the report, such as "
                               "2026-H1-expenditure.csv", repr(value))
        return value


# --- loaded reports --------------------------------------------------------------------

@dataclass(frozen=True)


class Amounts:
    budget: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.budget

    @property
    def variance_pct(self) -> Decimal | None:
        return percent_of(self.variance, self.budget)


@dataclass
class Report:
    period: str
    source: Path
    meta: ReportFile
    lines: list[ExpenditureLine]
    published: datetime
    csv_sources: list[Path] = field(default_factory=list)
    prev: Report | None = field(default=None, repr=False)
    # The effective date of each decision the fund's spending cites, by decision id.
    decisions: dict[str, date] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # as published (corrections.py)

    def approved(self, s: FundSpending) -> date:
        """When a use of the fund was approved: its date, or its decision's effective date."""
        if s.approved is not None:
            return s.approved
        return self.decisions[s.decision or ""]

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def half(self) -> int:
        return int(self.period[-1])

    @property
    def url(self) -> str:
        return f"reports/{self.period}/"

    @property
    def end(self) -> date:
        return period_end(self.period)

    @property
    def income_lines(self) -> dict[str, Decimal]:
        inc = self.meta.income
        return {"property_fees": inc.property_fees.collected, "parking": inc.parking,
                "shared_space": inc.shared_space, "special_services": inc.special_services,
                "other": inc.other}

    @property
    def income_total(self) -> Decimal:
        return self.meta.income.total

    @property
    def spent(self) -> Decimal:
        return self.meta.expenditure.total.actual

    @property
    def balance(self) -> Decimal:
        return self.income_total - self.spent

    @property
    def by_category(self) -> dict[str, Amounts]:
        """Budget and actual per category, every category present (0 when it has no line)."""
        sums = {k: [Decimal(0), Decimal(0)] for k in CATEGORIES}
        for line in self.lines:
            sums[line.key][0] += line.budget
            sums[line.key][1] += line.actual
        return {k: Amounts(b, a) for k, (b, a) in sums.items()}

    @property
    def itemised(self) -> bool:
        """Whether the lines say more than one figure per category (then they get their own table)."""
        keys = [line.key for line in self.lines]
        return len(keys) != len(set(keys)) or any(line.item or line.note for line in self.lines)

    @property
    def fund_income(self) -> Decimal:
        return sum((i.amount for i in self.meta.maintenance_fund.income), Decimal(0))

    @property
    def fund_spent(self) -> Decimal:
        return sum((s.amount for s in self.meta.maintenance_fund.spending), Decimal(0))


@dataclass
class Reports:
    """Published reports, oldest first, and how many are scheduled for later."""

    items: list[Report]
    scheduled: int = 0

    @property
    def latest(self) -> Report | None:
        return self.items[-1] if self.items else None


def period_end(period: str) -> date:
    year, half = int(period[:4]), int(period[-1])
    return date(year, 6, 30) if half == 1 else date(year, 12, 31)


def previous_period(period: str) -> str:
    year, half = int(period[:4]), int(period[-1])
    return f"{year}-H1" if half == 2 else f"{year - 1}-H2"


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole × 100, rounded half up to 1 decimal place; None when whole is 0."""
    if whole == 0:
        return None
    return (part * HUNDRED / whole).quantize(TENTH, rounding=ROUND_HALF_UP)
