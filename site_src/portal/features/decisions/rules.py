"""Art. 278 thresholds as integer arithmetic: owners counted, area in 0.01 m² units.

"at least" (以上 / 不低于) includes the boundary; "more than" (超过 / 过半) does not. A
share p/q of a whole N is met by x when x·q ≥ p·N (at least) or x·q > p·N (more than):
no division, no rounding, no float, so a vote exactly on 2/3 is decided exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["at_least", "more_than"]


@dataclass(frozen=True)
class Rule:
    """A share of a whole that a count must reach: at least / more than p/q."""

    kind: Kind
    num: int
    den: int

    def met(self, x: int, whole: int) -> bool:
        if self.kind == "at_least":
            return x * self.den >= self.num * whole
        return x * self.den > self.num * whole

    def needed(self, whole: int) -> int:
        """The smallest count that meets the rule."""
        if self.kind == "at_least":
            return -(-self.num * whole // self.den)
        return self.num * whole // self.den + 1

    @property
    def fraction(self) -> str:
        return f"{self.num}/{self.den}"

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.fraction}"


@dataclass(frozen=True)
class Condition:
    """One condition of a vote checked: what is counted, against what whole, by which rule."""

    key: str  # participation.area, participation.owners, approval.area, approval.owners
    rule: Rule
    count: int
    whole: int

    @property
    def met(self) -> bool:
        return self.rule.met(self.count, self.whole)

    @property
    def needed(self) -> int:
        return self.rule.needed(self.whole)

    @property
    def margin(self) -> int:
        """How far the count is above (≥ 0) or below (< 0) the smallest count that meets it."""
        return self.count - self.needed


@dataclass(frozen=True)
class Profile:
    """One rule table: participation (of the electorate) and approval per art. 278 item
    (of the participants)."""

    key: str
    title: str
    participation: Rule
    items: dict[int, Rule]


@dataclass(frozen=True)
class Tally:
    owners: int
    area: int  # 0.01 m²


def conditions(profile: Profile, item: int, electorate: Tally, participation: Tally,
               approve: Tally) -> list[Condition]:
    """The four conditions of art. 278 for a vote on `item`, in the order the law states them."""
    p, a = profile.participation, profile.items[item]
    return [
        Condition("participation.area", p, participation.area, electorate.area),
        Condition("participation.owners", p, participation.owners, electorate.owners),
        Condition("approval.area", a, approve.area, participation.area),
        Condition("approval.owners", a, approve.owners, participation.owners),
    ]
