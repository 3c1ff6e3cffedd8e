"""The content editor (/staff/content/): its fields are the build's fields, the choices it
offers are values the build accepts, and its file format leaves files as staff wrote them."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, Site
from portal.community import load_community
from portal.content import Loader
from portal.features import editor
from portal.features.events.model import EventMeta
from portal.features.notices.model import NoticeMeta
from portal.i18n import Translator
from portal.options import Options
from portal_contracts import surveys as survey_contract

FORMAT = ROOT / "site_src" / "pages" / "assets" / "javascripts" / "editor-format.js"
YAML_JS = ROOT / "tools" / "node_modules" / "yaml" / "dist" / "index.js"


class Ctx:
    """What the editor's configuration reads of a build."""

    def __init__(self) -> None:
        self.options = Options()
        self.t = Translator("zh")
        self.site_url = "https://portal.example.cn/"
        self.content_dir = ROOT / "content"
        self.community = load_community(ROOT / "content", Loader(ROOT))


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, Any], dict[str, Any]]:
    ctx = Ctx()
    return editor.config(ctx, ctx.community)  # type: ignore[arg-type]


def field_paths(fields: list[dict[str, Any]], prefix: str = "") -> set[str]:
    out = set()
    for f in fields:
        path = prefix + f["name"]
        out.add(path)
        if "fields" in f:
            out |= field_paths(f["fields"], path + ".")
    return out


def schema_paths(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for name, prop in schema.get("properties", {}).items():
        path = prefix + name
        out.add(path)
        for inner in [prop, *prop.get("anyOf", [])]:
            if "$ref" in inner:
                inner = defs[inner["$ref"].rsplit("/", 1)[1]]
            items = inner.get("items", {})
            if "$ref" in items:
                items = defs[items["$ref"].rsplit("/", 1)[1]]
            for sub in (inner, items):
                if "properties" in sub:
                    out |= schema_paths(sub, defs, path + ".")
    return out


def collection(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in cfg["collections"] if c["name"] == name)


def fields_of(cfg: dict[str, Any], name: str) -> list[dict[str, Any]]:
    col = collection(cfg, name)
    return col["fields"] if "fields" in col else col["files"][0]["fields"]


@pytest.mark.parametrize("kind", [k.name for k in editor.KINDS] + ["community"])
def test_the_editor_offers_exactly_the_fields_the_build_accepts(generated: Any, kind: str) -> None:
    cfg, _ = generated
    if kind == "community":
        from portal.community import Community
        schema = Community.model_json_schema()
    else:
        schema = editor.schema_of(next(k for k in editor.KINDS if k.name == kind))
    expected = schema_paths(schema, schema.get("$defs", {}))
    offered = field_paths(fields_of(cfg, kind)) - {editor.FILE_NAME, "body"}
    assert offered == expected


def test_the_survey_fields_are_the_contracts_fields(generated: Any) -> None:
    cfg, _ = generated
    fields = {f["name"]: f for f in fields_of(cfg, "surveys")}
    assert set(fields) == survey_contract.TOP
    question = next(f for f in fields["sections"]["fields"] if f["name"] == "questions")
    assert {f["name"] for f in question["fields"]} == survey_contract.QUESTION
    kinds = next(f for f in question["fields"] if f["name"] == "kind")
    assert [o["value"] for o in kinds["options"]] == list(survey_contract.KINDS)


def test_every_field_has_a_chinese_label(generated: Any) -> None:
    cfg, _ = generated

    def walk(fields: list[dict[str, Any]]) -> None:
        for f in fields:
            assert f["label"] and not f["label"].isascii(), f["name"]
            walk(f.get("fields", []))
    for col in cfg["collections"]:
        walk(col.get("fields") or col["files"][0]["fields"])


def test_every_choice_the_editor_offers_is_accepted_by_the_build(generated: Any) -> None:
    cfg, _ = generated
    ctx = Ctx()
    community = ctx.community
    assert community is not None
    context = {"categories": ctx.options.notice_categories, "buildings": community.buildings,
               "departments": community.departments}
    notice = {"title": "停水通知", "date": "2026-12-08 09:00", "category": "停水停电",
              "department": community.departments[0]}
    fields = {f["name"]: f for f in fields_of(cfg, "notices")}
    for name in ("category", "department", "level"):
        options = fields[name]["options"]
        assert options
        for option in options:
            value = option["value"] if isinstance(option, dict) else option
            NoticeMeta.model_validate({**notice, name: value}, context=context)
    assert fields["buildings"]["multiple"] is True
    NoticeMeta.model_validate({**notice, "buildings": fields["buildings"]["options"]}, context=context)
    event = {"title": "t", "start": "2026-12-08", "location": "l", "organiser": "o",
             "category": "科教文化"}
    econtext = {"categories": ctx.options.event_categories, "phones": []}
    for option in {f["name"]: f for f in fields_of(cfg, "events")}["category"]["options"]:
        EventMeta.model_validate({**event, "category": option}, context=econtext)


def test_a_value_the_build_refuses_is_not_offered(generated: Any) -> None:
    cfg, _ = generated
    ctx = Ctx()
    assert ctx.community is not None
    fields = {f["name"]: f for f in fields_of(cfg, "notices")}
    assert set(fields["department"]["options"]) == set(ctx.community.departments)
    assert set(fields["buildings"]["options"]) == set(ctx.community.buildings)
    assert set(fields["category"]["options"]) == set(ctx.options.notice_categories.values())
    # the form's own checks, with the build's rule and a Chinese message
    assert fields["expires"]["portal_order"] == {
        "field": "date", "relation": "after", "message": "有效期必须晚于发布时间"}
    assert fields["title"]["pattern"][0] == r"^[\s\S]{1,60}$"


def run_format(files: list[tuple[str, Path]], specs: dict[str, Any], tmp: Path) -> list[dict[str, Any]]:
    spec_file = tmp / "specs.json"
    spec_file.write_text(json.dumps(specs, ensure_ascii=False), encoding="utf-8")
    args = [a for name, path in files for a in (name, str(path))]
    done = subprocess.run(["node", str(ROOT / "tests" / "editor_roundtrip.mjs"), FORMAT.as_uri(),
                           YAML_JS.as_uri(), str(spec_file), *args],
                          capture_output=True, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def example_files() -> list[tuple[str, Path]]:
    content = ROOT / "content"
    out = [("community", content / "community.yml")]
    for kind in editor.KINDS:
        folder = content / kind.folder
        pattern = "**/*.md" if kind.name == "notices" else f"*.{kind.extension}"
        out += [(kind.name, p) for p in sorted(folder.glob(pattern)) if p.name != "README.md"]
    return out


def test_every_example_file_is_written_back_byte_for_byte(generated: Any, tmp_path: Path) -> None:
    _, specs = generated
    files = example_files()
    assert len(files) > 80
    results = run_format(files, specs, tmp_path)
    assert [r["file"] for r in results if not r["same"]] == []


def block(lines: list[str], field: str) -> list[str]:
    """A top-level key's line and the indented lines under it."""
    start = next(i for i, line in enumerate(lines) if line.startswith(field + ":"))
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return lines[start:end]


def without(lines: list[str], field: str) -> list[str]:
    taken = block(lines, field)
    start = lines.index(taken[0])
    return lines[:start] + lines[start + len(taken):]


def test_changing_one_field_changes_only_its_line(generated: Any, tmp_path: Path) -> None:
    _, specs = generated
    results = run_format(example_files(), specs, tmp_path)
    checked = 0
    for result in results:
        original = Path(result["file"]).read_text(encoding="utf-8")
        for edit in result["edits"]:
            before, after = original.splitlines(), edit["text"].splitlines()
            field = edit["field"]
            # everything but the field's own line(s) is as it was
            assert without(before, field) == without(after, field), (result["file"], field)
            assert block(before, field) != block(after, field)
            # the build's YAML reader reads back the new value
            text = edit["text"]
            head = text.split("---\n")[1] if text.startswith("---\n") else text
            value = yaml.safe_load(head)[edit["field"]]
            assert str(value) == str(edit["value"]) or value == edit["value"], (result["file"], edit)
            checked += 1
    assert checked > 500


def test_the_editor_page_is_for_staff_only(example_site: Site) -> None:
    html = unescape(example_site.page("staff/content/"))
    assert "Content-Security-Policy" in html and "noindex" in html
    assert "script-src 'self' 'unsafe-eval'" in html and "'unsafe-inline'" not in html.split(
        "script-src")[1].split(";")[0]
    assert "staff/content" not in example_site.page("sitemap.xml")
    cfg = yaml.safe_load(example_site.page("staff/content/config.yml"))
    assert cfg["locale"] == "zh_Hans" and cfg["publish_mode"] == "editorial_workflow"
    assert example_site.exists("staff/content/decap-cms.js")
    assert example_site.exists("staff/content/vendor/yaml/index.js")
    # nothing of the editor from another host
    assert "http" not in html.split("<body")[0].replace("http-equiv", "").replace(
        "http://127.0.0.1", "")


def test_values_yaml_could_misread_are_read_back_as_typed() -> None:
    """Times, yes/on/no, numbers with leading zeros, commas and brackets in a flow list, a
    comment sign: written in place, as new keys and items, and in a new file, the build's
    YAML reader (YAML 1.1) reads back exactly what staff typed."""
    from portal.content import _YamlLoader

    done = subprocess.run(["node", str(ROOT / "tests" / "editor_values.mjs"), FORMAT.as_uri(),
                           YAML_JS.as_uri()], capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) > 100
    wrong = [(r["case"], r["text"]) for r in results
             if yaml.load(r["text"], Loader=_YamlLoader) != r["expected"]]
    assert wrong == []


def test_report_and_survey_fields_carry_the_builds_bounds(generated: Any) -> None:
    """What the build checks beyond a field's type is in the form too: choices, bounds, the
    period's form, the survey contract's limits."""
    cfg, _ = generated
    ctx = Ctx()
    assert ctx.community is not None
    from portal.features.reports.model import CATEGORIES

    def find(fields: list[dict[str, Any]], dotted: str) -> dict[str, Any]:
        head, _, rest = dotted.partition(".")
        f = next(x for x in fields if x["name"] == head)
        return find(f["fields"], rest) if rest else f

    reports = fields_of(cfg, "reports")
    assert find(reports, "currency")["options"] == ["CNY"]
    assert find(reports, "expenditure.lines.category")["options"] == list(CATEGORIES.values())
    phones = [c.phone for c in ctx.community.contacts]
    assert find(reports, "contact.phone")["options"] == phones
    assert find(fields_of(cfg, "events"), "contact")["options"] == phones
    assert find(reports, "income.parking")["min"] == 0
    assert (find(reports, "collection.rate_by_amount")["min"],
            find(reports, "collection.rate_by_amount")["max"]) == (0, 100)
    period = find(reports, "period")["pattern"]
    assert re.fullmatch(period[0], "2027-H1") and not re.fullmatch(period[0], "2027上半年")
    assert "2026-H1" in period[1]
    surveys = fields_of(cfg, "surveys")
    assert find(surveys, "households")["required"] is True
    assert find(surveys, "k")["max"] == 50
    kinds = find(surveys, "sections.questions.kind")["options"]
    assert {o["label"] for o in kinds} >= {"单选", "多选"}
