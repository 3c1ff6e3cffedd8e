"""Half-year budget disclosures (财务公开): one YAML file per period in content/reports/.

`content/reports/2026-H1.yml` holds the period's income, expenditure by category (budget
and actual; the lines may come from a CSV beside it), the maintenance-fund ledger, the
fee collection rate, service KPIs against their targets, the narrative of the management
report, who answers questions and the signature. Every figure is a Decimal (YAML numbers
are read as Decimal, never float) and every declared total and rate is checked against
what it is computed from, so a report that does not add up never reaches the site.

A report whose `published` date is after "now" is scheduled: it stays off the site until
a build after that time, like a scheduled notice.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ..content import Loader
from ..errors import ContentError, FieldProblem, from_pydantic
from ..pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from ..types import Text, When, show_when
from ..urls import relative

PERIOD = re.compile(r"^(\d{4})-H([12])$")
PERIOD_FILE = re.compile(r"^(\d{4})-H([12])\.ya?ml$")
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

AMOUNT_EXPECTED = "an amount in yuan such as 1234.50 (at most 2 decimal places)"
PERCENT_EXPECTED = "a percentage between 0 and 100"


# --- reading YAML numbers exactly ------------------------------------------------------

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ReportYaml(_Base):  # type: ignore[valid-type,misc]
    """Safe YAML that reads numbers with a point as Decimal (1234.56 stays 1234.56) and dates as text."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    text = str(node.value)
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:  # .inf, .nan: the schema reports them on their field
        return text


_ReportYaml.add_constructor("tag:yaml.org,2002:float", _decimal)
_ReportYaml.add_constructor("tag:yaml.org,2002:timestamp", lambda _l, n: str(n.value))


def read_yaml(loader: Loader, path: Path) -> Any:
    text = loader.read_text(path)
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=_ReportYaml)
    except yaml.YAMLError:
        return loader.yaml_text(path, text, "(file)")  # records the problem the usual way


# --- field types -------------------------------------------------------------------------

def _found(value: Any) -> str:
    return str(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) else repr(value)


def _number(value: Any, expected: str) -> Decimal:
    """Decimal from what YAML or a CSV cell holds; a float goes through its shortest text."""
    if isinstance(value, bool) or value is None:
        raise FieldProblem("", expected, "nothing" if value is None else repr(value))
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if not re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            raise FieldProblem("", expected, repr(value))
        number = Decimal(text)
    else:
        raise FieldProblem("", expected, repr(value))
    if not number.is_finite():
        raise FieldProblem("", expected, _found(value))
    return number


def to_money(value: Any) -> Decimal:
    amount = _number(value, AMOUNT_EXPECTED)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise FieldProblem("", AMOUNT_EXPECTED, _found(value))
    if amount < 0:
        raise FieldProblem("", "an amount of at least 0", _found(value))
    return amount


def to_percent(value: Any) -> Decimal:
    text = value.strip().removesuffix("%") if isinstance(value, str) else value
    rate = _number(text, PERCENT_EXPECTED)
    if not 0 <= rate <= 100:
        raise FieldProblem("", PERCENT_EXPECTED, _found(value))
    return rate


def _phone(value: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9 \-]{4,}", value):
        raise FieldProblem("", "a phone number such as '0571-8765 4300'", repr(value))
    return value


Money = Annotated[Decimal, BeforeValidator(to_money)]
Percent = Annotated[Decimal, BeforeValidator(to_percent)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_phone)]
Markdown = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Count = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the schema of content/reports/<period>.yml -------------------------------------------

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
    approved: date  # the owners' approval of this use of the fund

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
        public = (info.context or {}).get("phones") or []
        if public and value not in public:
            raise FieldProblem("", "one of the public numbers in content/community.yml ("
                               + ", ".join(public) + ")", repr(value))
        return value


class Signature(Strict):
    manager: Text
    company: Text
    date: When


class ReportFile(Strict):
    """content/reports/<period>.yml."""

    period: Annotated[str, StringConstraints(strip_whitespace=True)]
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
    elif _naive(meta.published).date() <= period_end(period):
        out.append(("published", f"a date after the period ends ({period_end(period)})",
                    show_when(meta.published)))
    if _naive(meta.signature.date) > _naive(meta.published):
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
        if s.approved > period_end(period):
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


def _naive(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time.min)


# --- CSV line items ------------------------------------------------------------------------

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


# --- the feature -----------------------------------------------------------------------------

class ReportsFeature(Feature):
    key = "reports"

    def load(self, ctx: BuildContext, loader: Loader) -> Reports:
        folder = ctx.content_dir / "reports"
        community = ctx.community
        context = {"phones": [c.phone for c in community.contacts] if community else []}
        households = community.households if community else None
        items: list[Report] = []
        scheduled = 0
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
            raw = read_yaml(loader, path)
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
            for field_name, expected, found in problems:
                loader.error(path, field_name, expected, found)
            if problems or lines is None:
                continue
            published = _aware(meta.published, ctx)
            if published > ctx.now:
                scheduled += 1
                continue
            items.append(Report(period, path, meta, lines, published, csv_sources))
        items.sort(key=lambda r: r.period)
        by_period = {r.period: r for r in items}
        for r in items:
            r.prev = by_period.get(previous_period(r.period))
        return Reports(items, scheduled)

    def render(self, data: Reports, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        from .report_pages import render

        return render(data, ctx)

    def nav(self, data: Reports, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("reports.title"), children=(
            NavItem(ctx.t("reports.index"), "reports/index.md"),
            NavItem(ctx.t("reports.trends"), "reports/trends.md"),
        ))

    def home(self, data: Reports, ctx: BuildContext) -> list[HomeBlock]:
        latest = data.latest
        if latest is None:
            return []
        return [HomeBlock(45, ctx.render(
            "portal/reports_home.html", r=latest, label=period_label(ctx, latest.period),
            money=money, pct=pct, rel=relative, page=""))]


def period_label(ctx: BuildContext, period: str) -> str:
    return ctx.t(f"reports.half_{period[-1]}", year=period[:4])


def _aware(value: date | datetime, ctx: BuildContext) -> datetime:
    return _naive(value).replace(tzinfo=ctx.tz)

