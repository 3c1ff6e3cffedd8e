"""公共收益 ledgers at the bottom: the schema of content/public-income/<period>.yml, a loaded ledger.

Income from the common parts (art. 282: lift advertising, venue rental, parking on
common land …) belongs to the owners after reasonable costs. Each half-year's ledger
lists the income lines by source and kind of counterparty (never a person), the costs
deducted with their basis, the owners' share, what it was used for (each use citing an
owners' decision, or saying why none was needed) and the balance carried forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from ...corrections import Correction
from ...errors import FieldProblem
from ...types import Strict, When
from ..reports.fields import Money
from ..reports.model import PERIOD, period_end

FILE = re.compile(r"^(\d{4})-H([12])\.yml$")
# A plate number (浙A·12345, 浙AD12345) or a mobile number: what identifies a person.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PLATE = re.compile(f"[{_PROVINCES}][A-Z][·• ]?[A-Z0-9]{{5,6}}")
_MOBILE = re.compile(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}")


def _impersonal(value: str) -> str:
    if _PLATE.search(value) or _MOBILE.search(value):
        raise FieldProblem("", "text naming no person (no plate or phone number)", repr(value))
    return value


Plain = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                  AfterValidator(_impersonal)]
Counterparty = Literal["广告公司", "企业", "个体工商户", "电信运营商", "快递物流企业", "访客车辆",
                       "业主（合计）", "机关或事业单位", "其他机构"]


class IncomeLine(Strict):
    source: Plain  # 电梯轿厢广告, 访客临时停车 …
    counterparty: Counterparty  # a kind, never a name
    amount: Money
    note: Plain | None = None


class Cost(Strict):
    what: Plain
    basis: Plain  # the contract clause or rule that makes it a reasonable cost
    amount: Money


class Use(Strict):
    what: Plain
    amount: Money
    decision: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None
    no_decision_because: Plain | None = None


class LedgerFile(Strict):
    """content/public-income/<period>.yml."""

    period: Annotated[str, StringConstraints(strip_whitespace=True, pattern=PERIOD.pattern)]
    published: When
    opening_balance: Money
    income: list[IncomeLine] = Field(default_factory=list)
    costs: list[Cost] = Field(default_factory=list)
    owners_share: Money
    uses: list[Use] = Field(default_factory=list)
    closing_balance: Money
    corrections: list[Correction] = Field(default_factory=list)


@dataclass
class Ledger:
    period: str
    path: Path
    meta: LedgerFile
    published: datetime
    figures: dict[str, str] = field(default_factory=dict)  # as published (corrections.py)

    @property
    def url(self) -> str:
        return f"public-income/{self.period}/"

    @property
    def income(self) -> Decimal:
        return sum((i.amount for i in self.meta.income), Decimal(0))

    @property
    def costs(self) -> Decimal:
        return sum((c.amount for c in self.meta.costs), Decimal(0))

    @property
    def uses(self) -> Decimal:
        return sum((u.amount for u in self.meta.uses), Decimal(0))

    @property
    def end(self) -> date:
        return period_end(self.period)


def next_period(period: str) -> str:
    year, half = int(period[:4]), int(period[-1])
    return f"{year}-H2" if half == 1 else f"{year + 1}-H1"
