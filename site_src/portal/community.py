"""The community the portal serves (content/community.yml): name, buildings, public contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import (
    Field,
    StringConstraints,
    model_validator,
)

from .content import Loader
from .errors import FieldProblem
from .types import Phone, Strict, Text


class Contact(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    label: Text
    phone: Phone
    hours: Text

    @property
    def tel(self) -> str:
        """The number as a tel: URI (digits and a leading + only)."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


class Reception(Strict):
    place: Text
    hours: Text


class Community(Strict):
    name: Text
    full_name: Text
    city: Text
    address: Text
    property_company: Text
    households: int = Field(gt=0)
    buildings: list[Text] = Field(min_length=1)
    # The departments that sign notices (the editor offers these; the build checks them).
    departments: list[Text] = Field(default_factory=list)
    contacts: list[Contact] = Field(min_length=1)
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    reception: Reception

    @model_validator(mode="after")
    def _hotline_and_unique(self) -> Community:
        keys = [c.key for c in self.contacts]
        if "hotline" not in keys:
            raise FieldProblem("contacts", "an entry with key 'hotline' (the 24-hour number)",
                               f"keys {keys}")
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise FieldProblem("contacts", "each key once", f"{dup} more than once")
        dupb = sorted({b for b in self.buildings if self.buildings.count(b) > 1})
        if dupb:
            raise FieldProblem("buildings", "each building once", f"{dupb} more than once")
        dupd = sorted({d for d in self.departments if self.departments.count(d) > 1})
        if dupd:
            raise FieldProblem("departments", "each department once", f"{dupd} more than once")
        return self

    @property
    def hotline(self) -> Contact:
        return next(c for c in self.contacts if c.key == "hotline")


def load_community(content_dir: Path, loader: Loader) -> Community | None:
    path = content_dir / "community.yml"
    if not path.is_file():
        loader.error(path, "(file)", "a community.yml describing the community", "no such file")
        return None
    return loader.model(path, Community, loader.yaml_file(path))
