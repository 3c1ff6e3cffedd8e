"""Property tests on every content loader: whatever staff type (random YAML, front matter,
half-edited example files), loading gives valid content or a clear ContentInvalid naming
the file and field, never an unhandled exception."""

from __future__ import annotations

import copy
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_COMMUNITY, ROOT
from portal.errors import ContentInvalid
from portal.features import all_features
from portal.i18n import Translator
from portal.options import Options
from portal.pipeline import BuildContext, load, template_env

TZ = ZoneInfo("Asia/Shanghai")
EXAMPLES = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
HANDBOOK = {"title": "物业费", "order": 20, "summary": "物业费由哪些部分组成"}


def example(rel: str) -> Any:
    return yaml.safe_load((ROOT / "content" / rel).read_text(encoding="utf-8"))


def front_matter(rel: str) -> tuple[Any, str]:
    text = (ROOT / "content" / rel).read_text(encoding="utf-8")
    _, head, body = text.split("---", 2)
    return yaml.safe_load(head), body


NOTICE_REL = "notices/2026/" + sorted(p.name for p in (ROOT / "content" / "notices" / "2026")
                                      .glob("*.md"))[0]
EVENT_REL = "events/2026-basketball.yml"

# Where each loader reads, a valid example to start from, and how the file is written.
LOADERS: dict[str, tuple[str, Any, str]] = {
    "community": ("community.yml", yaml.safe_load(MINIMAL_COMMUNITY), "yaml"),
    "notices": (NOTICE_REL, front_matter(NOTICE_REL)[0], "md"),
    "handbook": ("handbook/fees.md", HANDBOOK, "md"),
    "events": (EVENT_REL, example(EVENT_REL), "yaml"),
    "reports": ("reports/2025-H1.yml", example("reports/2025-H1.yml"), "yaml"),
    "surveys": ("surveys/2025-satisfaction.yml", example("surveys/2025-satisfaction.yml"), "yaml"),
    "survey results": ("reports/surveys/2025-satisfaction.yml",
                       example("reports/surveys/2025-satisfaction.yml"), "yaml"),
    "suggestion summaries": ("reports/suggestions/2026-10.yml",
                             example("reports/suggestions/2026-10.yml"), "yaml"),
}
# What a loader needs beside its own file (survey results need their survey).
COMPANIONS = {"survey results": ["surveys/2025-satisfaction.yml"]}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.dates(min_value=date(1, 1, 1)), st.datetimes(),
    st.sampled_from(["", " ", "2026-13-45", "24:00", "1e999", "<script>x</script>", "0571-",
                     "-1", "NaN", "~", "null", "yes", "\u202e", "第一"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a nested document where a value can be replaced or removed."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """A valid example with a few values replaced, removed or added at random."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = paths(doc)
        if not places:
            return draw(values)
        where = draw(st.sampled_from(places))
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            parent[where[-1]] = draw(values)
        elif action == "remove":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            parent.append(draw(values))
    return doc


def context(content: Path) -> BuildContext:
    return BuildContext(content_dir=content, site_url="http://127.0.0.1:8000/",
                        now=datetime(2026, 11, 23, 9, 0, tzinfo=TZ), tz=TZ, t=Translator(),
                        env=template_env(), options=Options())


def render(doc: Any, style: str, body: str = "正文。\n") -> str:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return f"---\n{text}---\n{body}" if style == "md" else text


def load_one(name: str, text: str, strict: bool = False, must_fail: bool = False) -> None:
    """Load a content folder holding this file: valid, or ContentInvalid naming the file
    (with `strict`, only valid: a ContentInvalid fails the test; with `must_fail`, only
    the ContentInvalid: a file that loads fails the test)."""
    rel, _, _ = LOADERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        content.mkdir()
        if name != "community":  # the community the examples were written for
            (content / "community.yml").write_text(
                (ROOT / "content" / "community.yml").read_text(encoding="utf-8"), encoding="utf-8")
        for extra in COMPANIONS.get(name, []):
            (content / extra).parent.mkdir(parents=True, exist_ok=True)
            (content / extra).write_text((ROOT / "content" / extra).read_text(encoding="utf-8"),
                                         encoding="utf-8")
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        try:
            load(context(content), all_features())
            if must_fail:
                raise AssertionError(f"a random document loaded as {rel}:\n{text}")
        except ContentInvalid as exc:
            if strict:
                raise AssertionError(f"an unmodified example does not load:\n{exc.report()}") \
                    from None
            assert exc.errors, "a ContentInvalid must list its problems"
            for err in exc.errors:
                assert err.file and err.expected, err  # field is "" for a key named ""
            assert Path(rel).name in exc.report() or Path(rel).stem in exc.report()


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_unmodified_examples_load(name: str) -> None:
    rel, doc, style = LOADERS[name]
    body = front_matter(rel)[1] if style == "md" and rel.startswith("notices") else "正文。\n"
    load_one(name, render(doc, style, body), strict=True)


@pytest.mark.parametrize("name", sorted(LOADERS))
@EXAMPLES
@given(data=st.data())
def test_edited_examples_load_or_fail_clearly(name: str, data: st.DataObject) -> None:
    _, doc, style = LOADERS[name]
    load_one(name, render(data.draw(mutated(doc)), style))


@pytest.mark.parametrize("name", sorted(LOADERS))
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(doc=values)
def test_random_documents_fail_clearly(name: str, doc: Any) -> None:
    """No random document is valid content: each one fails, naming the file and field."""
    _, _, style = LOADERS[name]
    load_one(name, render(doc, style), must_fail=True)


@pytest.mark.parametrize("name", sorted(LOADERS))
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(
    st.text(max_size=200),
    st.sampled_from(["key: [unclosed", "a: b: c", "- - -", "\t\tx: 1", "&a [*a]",
                     "!!python/object:os.system x", "---\n---\n---", "x: *undefined", "{",
                     "\ufeffid: 1", "a: 1\na: 2"])))
def test_text_that_is_not_yaml_fails_clearly(name: str, text: str) -> None:
    _, _, style = LOADERS[name]
    load_one(name, f"---\n{text}\n---\n正文\n" if style == "md" else text)
