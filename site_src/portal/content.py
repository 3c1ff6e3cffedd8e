"""Reading staff-authored files: YAML documents and Markdown with front matter."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from portal_contracts.errors import Problems

from .errors import ContentError, from_pydantic

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


class _YamlLoader(_Base):  # type: ignore[valid-type,misc]
    """Safe YAML that keeps dates as text, so the schema reports a bad date on its field."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class _DecimalYamlLoader(_YamlLoader):
    """The same, reading numbers with a point as Decimal (1234.56 stays 1234.56), for money."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    text = str(node.value)
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:  # .inf, .nan: the schema reports them on their field
        return text


_DecimalYamlLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


class Loader:
    """Collects errors across many files so a build reports all of them at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.errors: list[ContentError] = []

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root.parent).as_posix()
        except ValueError:
            return path.as_posix()

    def error(self, path: Path, field: str, expected: str, found: str) -> None:
        self.errors.append(ContentError(self.rel(path), field, expected, found))

    def read_text(self, path: Path) -> str | None:
        return self.decode(path, path.read_bytes())

    def decode(self, path: Path, raw: bytes) -> str | None:
        try:
            # As open() reads text: universal newlines.
            return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError as exc:
            self.error(path, "(file)", "UTF-8 text", f"a byte that is not UTF-8 at {exc.start}")
            return None

    def yaml_file(self, path: Path, decimals: bool = False) -> Any:
        """A YAML file; with `decimals`, numbers with a point are read as Decimal."""
        text = self.read_text(path)
        return None if text is None else self.yaml_text(path, text, "(file)", decimals=decimals)

    def yaml_text(self, path: Path, text: str, what: str, first_line: int = 1,
                  decimals: bool = False) -> Any:
        """Parse YAML; `first_line` is the file line the text starts on (for the message)."""
        try:
            return yaml.load(text, Loader=_DecimalYamlLoader if decimals else _YamlLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + first_line}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid YAML"
            self.error(path, what, "valid YAML", f"{problem}{where}")
            return None

    def markdown(self, path: Path, raw: bytes | None = None) -> tuple[dict[str, Any], str] | None:
        """Split a Markdown file (or its bytes, already read) into front matter and body."""
        text = self.read_text(path) if raw is None else self.decode(path, raw)
        if text is None:
            return None
        text = text.lstrip("\ufeff")
        m = _FRONT.match(text)
        if not m:
            self.error(path, "front matter", "a block between '---' lines at the top of the file",
                       "no front matter")
            return None
        meta = self.yaml_text(path, m.group(1) or "", "front matter", first_line=2)
        if meta is None and self.errors and self.errors[-1].file == self.rel(path):
            return None
        if not isinstance(meta, dict):
            self.error(path, "front matter", "a mapping of field: value", _kind(meta))
            return None
        return meta, text[m.end():]

    def model(self, path: Path, model: type[M], data: Any, prefix: str = "",
              context: dict[str, Any] | None = None) -> M | None:
        """Validate data against a declared schema, recording every problem."""
        if not isinstance(data, dict):
            self.error(path, prefix.rstrip(".") or "(file)", "a mapping of field: value", _kind(data))
            return None
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            self.errors.extend(from_pydantic(self.rel(path), exc, prefix))
            return None


    def contract(self, path: Path, check: Callable[[Any], T], data: Any) -> T | None:
        """Check data with a portal_contracts file checker, recording every problem."""
        if data is None:
            return None
        try:
            return check(data)
        except Problems as exc:
            for field_name, expected, found in exc.problems:
                self.error(path, field_name, expected, found)
            return None


def _kind(value: Any) -> str:
    if value is None:
        return "an empty document"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
