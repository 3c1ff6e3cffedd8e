"""Owners' decisions at the bottom: the rule table's schema, a decision file's schema, a loaded decision.

`content/decisions/rules.yml` is the rule table (the national rules of art. 278 and any
local profile); `content/decisions/<id>.yml` is one decision as its convener announced
the result. Counts are whole numbers; areas are written in m² with at most two decimals
and held as whole 0.01 m² units, so every threshold is decided in integers (rules.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator

from portal_contracts.errors import found

from ...corrections import Correction
from ...errors import FieldProblem
from ...types import Strict, Text
from . import rules
from .rules import Condition, Profile, Rule

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(pdf|jpg|jpeg|png)$")
RULE_TEXT = re.compile(r"^(at least|more than) ([1-9]\d*)/([1-9]\d*)$")
RULE_EXPECTED = "a rule such as 'at least 2/3' or 'more than 1/2'"
AREA_EXPECTED = "an area in m² such as 1234.56 (at most 2 decimal places)"

# Civil Code art. 278, paragraph 1: the matters owners decide together.
ITEMS: dict[int, str] = {
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
CONVENERS = ("业主委员会", "物业管理委员会", "居民委员会", "街道办事处")
STAGES = ("announced", "voting_from", "voting_to", "result_posted", "objection_until", "effective")
K_OWNERS = 5  # a breakdown that would cover fewer owners is not shown


def to_rule(value: Any) -> Rule:
    text = " ".join(value.split()) if isinstance(value, str) else None
    m = RULE_TEXT.match(text or "")
    if not m or int(m.group(2)) > int(m.group(3)):
        raise FieldProblem("", RULE_EXPECTED, found(value))
    kind: rules.Kind = "at_least" if m.group(1) == "at least" else "more_than"
    return Rule(kind, int(m.group(2)), int(m.group(3)))


def to_area(value: Any) -> int:
    """m² as written (1234.56) → whole 0.01 m² units (123456)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise FieldProblem("", AREA_EXPECTED, found(value))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except ArithmeticError:
        raise FieldProblem("", AREA_EXPECTED, found(value)) from None
    exponent = number.as_tuple().exponent
    if not number.is_finite() or not isinstance(exponent, int) or exponent < -2 or number < 0:
        raise FieldProblem("", AREA_EXPECTED, found(value))
    return int(number * 100)


RuleText = Annotated[Rule, BeforeValidator(to_rule)]
Area = Annotated[int, BeforeValidator(to_area)]
Count = Annotated[int, Field(ge=0)]


class ProfileFile(Strict):
    title: Text
    based_on: str | None = None
    participation: RuleText | None = None
    items: dict[Annotated[int, Field(ge=1, le=9)], RuleText] = Field(default_factory=dict)


class RulesFile(Strict):
    """content/decisions/rules.yml: the default profile and every profile."""

    default: Text
    profiles: dict[Annotated[str, StringConstraints(pattern=ID.pattern)], ProfileFile]


class TallyFile(Strict):
    owners: Count
    area: Area

    def tally(self) -> rules.Tally:
        return rules.Tally(self.owners, self.area)


class Votes(Strict):
    for_: TallyFile = Field(alias="for")
    against: TallyFile
    abstain: TallyFile


class Stages(Strict):
    """公告 → 表决 → 结果公示 → 异议期 → 生效."""

    announced: date
    voting_from: date
    voting_to: date
    result_posted: date
    objection_until: date | None = None
    effective: date | None = None

    @field_validator(*STAGES, mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise FieldProblem("", "a date such as 2026-05-01", repr(value))
        return value


class Source(Strict):
    """The convener's announcement of the result: a link, or a file beside the decision
    with its SHA-256 (checked by the build, so the published file is the one announced)."""

    title: Text
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    file: str | None = None
    sha256: str | None = None

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None and not FILE_NAME.match(value):
            raise FieldProblem("", "the name of a PDF or image beside the decision, such as "
                               "2026-lift-ads.pdf", repr(value))
        return value

    @field_validator("sha256")
    @classmethod
    def _sha(cls, value: str | None) -> str | None:
        if value is not None and not SHA256.match(value):
            raise FieldProblem("", "64 lower-case hexadecimal digits (sha256sum's output)",
                               repr(value))
        return value


class DecisionFile(Strict):
    """content/decisions/<id>.yml."""

    title: Text
    matter: Text
    item: Annotated[int, Field(ge=1, le=9)]
    rules: str | None = None  # a profile of rules.yml; its default when absent
    convener: Literal["业主委员会", "物业管理委员会", "居民委员会", "街道办事处"]
    buildings: list[Text] | None = None  # None: every building
    electorate: TallyFile
    participation: TallyFile
    votes: Votes
    result: Literal["passed", "failed"]
    stages: Stages
    source: Source
    corrections: list[Correction] = Field(default_factory=list)


@dataclass
class Decision:
    id: str
    path: Path
    meta: DecisionFile
    profile: Profile
    conditions: list[Condition]
    source_file: Path | None = None
    figures: dict[str, str] = field(default_factory=dict)  # as published (corrections.py)

    @property
    def url(self) -> str:
        return f"decisions/{self.id}/"

    @property
    def passed(self) -> bool:
        return all(c.met for c in self.conditions)

    @property
    def failed_on(self) -> list[Condition]:
        return [c for c in self.conditions if not c.met]

    def in_effect_by(self, day: date) -> bool:
        eff = self.meta.stages.effective
        return self.passed and eff is not None and eff <= day


@dataclass
class Register:
    """Decisions whose result is posted (oldest first), by id; ids of files with problems."""

    items: list[Decision]
    broken: set[str] = field(default_factory=set)
    scheduled: set[str] = field(default_factory=set)

    def get(self, decision_id: str) -> Decision | None:
        return next((d for d in self.items if d.id == decision_id), None)


def resolve(key: str, profiles: dict[str, ProfileFile]) -> tuple[Profile | None, str]:
    """A profile with what it is based on filled in; (None, why) when it cannot be."""
    chain: list[ProfileFile] = []
    seen: set[str] = set()
    k: str | None = key
    while k is not None:
        if k in seen:
            return None, f"a profile based on itself ({' → '.join([*seen, k])})"
        if k not in profiles:
            return None, repr(k)
        seen.add(k)
        chain.append(profiles[k])
        k = profiles[k].based_on
    participation: Rule | None = None
    items: dict[int, Rule] = {}
    for p in reversed(chain):
        participation = p.participation or participation
        items.update(p.items)
    missing = [str(i) for i in ITEMS if i not in items]
    if participation is None or missing:
        what = "participation" if participation is None else "items " + ", ".join(missing)
        return None, f"a profile without {what}"
    return Profile(key, profiles[key].title, participation, items), ""
