"""The content editor (内容编辑) at /staff/content/: Decap CMS on the portal's own schema.

Every collection's fields are generated at build time from the schema the build checks
(the pydantic models of notices, handbook pages, events, reports and the community file;
the survey contract for surveys), with the choices staff may pick read from the same place
the build reads them (notice categories from mkdocs.yml, buildings and departments from
content/community.yml). Labels and help text are the `editor.*` interface strings. Nothing
here is written by hand per field: a field the build accepts is a field the editor offers.

The page is a standalone HTML file like the desk: not in the navigation, the sitemap or
search, with a Content-Security-Policy as strict as Decap allows (see `csp()`). Decap's
bundle comes from the npm tools (`tools/node_modules/decap-cms`), served from the portal
itself: no CDN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from portal_contracts import surveys as survey_contract

from ..community import Community
from ..content import Loader
from ..errors import ContentError, ContentInvalid
from ..pipeline import BuildContext, Feature, LightPage, OutputFile
from .decisions.model import DecisionFile
from .desk import origin
from .events.model import RESERVED as EVENT_RESERVED
from .events.model import EventMeta
from .handbook import HandbookMeta
from .notices.model import NoticeMeta
from .public_income.model import LedgerFile
from .reports.model import CATEGORIES as REPORT_CATEGORIES
from .reports.model import ReportFile

BASE = "staff/content"
FILE_NAME = "file_name"  # the form's own field for a new file's name; never written
DATE_TIME = {"widget": "datetime", "format": "YYYY-MM-DD HH:mm", "date_format": "YYYY-MM-DD",
             "time_format": "HH:mm", "picker_utc": False}
DATE = {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD",
        "time_format": False, "picker_utc": False}
# Decap's bundle and the YAML library the file format edits with (npm, tools/).
ASSETS = {
    "decap-cms.js": "decap-cms/dist/decap-cms.js",
}
YAML_LIB = "yaml/browser"


@dataclass(frozen=True)
class Kind:
    """One kind of content file as the editor shows it."""

    name: str  # the collection's name; labels are editor.<name>.*
    model: type[BaseModel] | None  # the build's schema (None: surveys, see survey_schema)
    folder: str  # under the content folder
    extension: str
    slug: str  # Decap's slug template: the file name
    markdown: bool = False
    # Fields shown as multi-line text, and When fields an all-day value may take (a date
    # alone): both are the model's meaning, which the JSON schema does not carry.
    text: tuple[str, ...] = ()
    free_when: tuple[str, ...] = ()
    # The build's checks across fields, made by the form too: field → (other field, relation).
    order: tuple[tuple[str, str, str], ...] = ()


KINDS = (
    Kind("notices", NoticeMeta, "notices", "md", "{{fields.file_name}}", markdown=True,
         order=(("expires", "date", "after"),)),
    Kind("handbook", HandbookMeta, "handbook", "md", "{{fields.file_name}}", markdown=True),
    Kind("events", EventMeta, "events", "yml", "{{fields.file_name}}",
         text=("description", "note"), free_when=("start", "end", "registration.deadline"),
         order=(("end", "start", "after"), ("registration.deadline", "start", "not_after"),
                ("recurrence.until", "start", "same_day_or_after"))),
    Kind("reports", ReportFile, "reports", "yml", "{{period}}",
         text=("preface", "sections.*"), free_when=("published", "signature.date")),
    # owners' decisions (one file each; rules.yml beside them is the rule table, not listed)
    Kind("decisions", DecisionFile, "decisions", "yml", "{{fields.file_name}}",
         text=("matter",), order=(("stages.voting_to", "stages.voting_from", "after"),)),
    Kind("public-income", LedgerFile, "public-income", "yml", "{{period}}", free_when=("published",)),
    Kind("surveys", None, "surveys", "yml", "{{id}}", text=("intro", "sections.*.questions.*.text"),
         order=(("closes", "opens", "after"),)),
)


def survey_schema() -> dict[str, Any]:
    """The survey file's fields as a JSON schema, from the contract's own declarations
    (portal_contracts.surveys: the kinds, access modes and the Question dataclass)."""
    question_props: dict[str, Any] = {
        "id": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,30}$"},
        "kind": {"type": "string", "enum": list(survey_contract.KINDS)},
        "text": {"type": "string", "minLength": 1},
        "item": {"type": "string"},
        "required": {"type": "boolean", "default": True},
        "options": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "pairs_with": {"type": "string"},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 2000, "default": 500},
        "show_if": {"type": "object", "properties": {
            "question": {"type": "string"},
            "answer": {"type": "array", "items": {"type": "string"}}},
            "required": ["question", "answer"]},
    }
    return {
        "type": "object",
        "required": ["id", "title", "intro", "opens", "closes", "households", "sections"],
        "properties": {
            "id": {"type": "string", "pattern": survey_contract.ID.pattern},
            "title": {"type": "string", "minLength": 1},
            "intro": {"type": "string", "minLength": 1},
            "opens": {"type": "string", "format": "date"},
            "closes": {"type": "string", "format": "date"},
            "access": {"type": "string", "enum": list(survey_contract.ACCESS), "default": "open"},
            "households": {"type": "integer", "minimum": 1},
            "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
            "sections": {"type": "array", "items": {
                "type": "object", "required": ["title", "questions"], "properties": {
                    "title": {"type": "string", "minLength": 1},
                    "questions": {"type": "array", "items": {
                        "type": "object", "required": ["id", "kind", "text"],
                        "properties": question_props}}}}},
        },
    }


def schema_of(kind: Kind) -> dict[str, Any]:
    if kind.model is None:
        return survey_schema()
    return kind.model.model_json_schema()


class FieldBuilder:
    """JSON schema (as pydantic writes it) → Decap fields, with labels and choices."""

    def __init__(self, kind: Kind, schema: dict[str, Any], ctx: BuildContext,
                 choices: dict[str, list[str]]) -> None:
        self.kind, self.defs, self.ctx, self.choices = kind, schema.get("$defs", {}), ctx, choices
        self.defaults: dict[str, Any] = {}
        self.numbers: list[str] = []
        self.optional = False  # inside an optional block

    def label(self, path: str, suffix: str = "") -> str:
        """editor.<kind>.<path>, else editor.<kind>.<last part> (e.g. the three KPIs'
        `target`), else editor.field.<last part> (names every kind uses: title, summary)."""
        generic = _generic(path)
        last = generic.rsplit(".", 1)[-1]
        for key in (f"editor.{self.kind.name}.{generic}", f"editor.{self.kind.name}.{last}",
                    f"editor.field.{last}"):
            try:
                return str(self.ctx.t(key + suffix))
            except KeyError:
                continue
        raise KeyError(f"interface string 'editor.{self.kind.name}.{generic}{suffix}' is missing")

    def hint(self, path: str) -> str | None:
        try:
            return self.label(path, ".hint")
        except KeyError:
            return None

    def resolve(self, prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The property itself (a $ref followed) and whether null is allowed."""
        if "$ref" in prop:
            return self.resolve({**self.defs[prop["$ref"].rsplit("/", 1)[1]],
                                 **{k: v for k, v in prop.items() if k != "$ref"}})
        options = prop.get("anyOf")
        if options:
            nullable = any(o.get("type") == "null" for o in options)
            rest = [o for o in options if o.get("type") != "null"]
            if len(rest) == 1:
                inner, _ = self.resolve(rest[0])
                return {**inner, **{k: v for k, v in prop.items() if k != "anyOf"}}, nullable
            return {**prop, "anyOf": rest}, nullable
        return prop, False

    def fields(self, schema: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
        required = set(schema.get("required", []))
        out = []
        for name, prop in schema.get("properties", {}).items():
            out.append(self.field(name, prop, f"{path}{name}", name in required))
        return out

    def field(self, name: str, prop: dict[str, Any], path: str, required: bool) -> dict[str, Any]:
        prop, nullable = self.resolve(prop)
        # Decap checks the required fields of an optional block (an event's recurrence) even
        # when the block is left empty: inside one, the form requires nothing and the build
        # checks what a filled block needs.
        f: dict[str, Any] = {"name": name, "label": self.label(path),
                             "required": required and not nullable and not self.optional}
        hint = self.hint(path)
        if hint:
            f["hint"] = hint
        if prop.get("default") not in (None, [], {}):
            f["default"] = prop["default"]
            self.defaults[_generic(path)] = prop["default"]
        outer, self.optional = self.optional, self.optional or nullable or not required
        try:
            f.update(self.widget(prop, path))
        finally:
            self.optional = outer
        for this, other, relation in self.kind.order:
            if this == _generic(path):
                f["widget"] = {"datetime": "portal-datetime", "string": "portal-when"}[f["widget"]]
                f["portal_order"] = {"field": other, "relation": relation, "message": self.ctx.t(
                    f"editor.{self.kind.name}.{this}.order")}
        return f

    def widget(self, prop: dict[str, Any], path: str) -> dict[str, Any]:
        t = self.ctx.t
        generic = _generic(path)
        if generic in self.choices:
            names = self.choices[generic]
            multiple = prop.get("type") == "array"
            return {"widget": "select", "options": names, "multiple": multiple}
        if "const" in prop:
            return {"widget": "select", "options": [prop["const"]]}
        if "enum" in prop:
            return {"widget": "select", "options": [
                {"label": _value_label(t, self.kind.name, generic, v), "value": v}
                for v in prop["enum"]]}
        kinds = {o.get("format") for o in prop.get("anyOf", [])}
        if kinds == {"date", "date-time"}:
            if generic in self.kind.free_when:
                return {"widget": "string", "pattern": [
                    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$", t("editor.pattern.when")]}
            return dict(DATE_TIME)
        if prop.get("format") == "date":
            return dict(DATE)
        typ = prop.get("type")
        amount = "anyOf" in prop and {o.get("type") for o in prop["anyOf"]} == {"number", "string"}
        if amount or typ == "integer":  # an amount read as a decimal, or a whole number
            self.numbers.append(_generic(path))
            out: dict[str, Any] = (
                {"widget": "number", "value_type": "float", "step": prop.get("multipleOf", 0.01)}
                if amount else {"widget": "number", "value_type": "int"})
            for key, decap in (("minimum", "min"), ("maximum", "max")):
                if key in prop:
                    out[decap] = prop[key]
            if "exclusiveMinimum" in prop:
                out["min"] = prop["exclusiveMinimum"] + 1
            return out
        if typ == "boolean":
            return {"widget": "boolean"}
        if typ == "array":
            items, _ = self.resolve(prop.get("items", {}))
            if items.get("type") == "object" or "properties" in items:
                return {"widget": "list", "fields": self.fields(items, f"{path}.*."),
                        "collapsed": True, "summary": self.summary(items)}
            inner = self.widget(items, f"{path}.*")
            return {"widget": "list", "field": {"name": "item", "label": self.label(path), **inner}}
        if typ == "object" or "properties" in prop:
            return {"widget": "object", "fields": self.fields(prop, f"{path}."), "collapsed": False}
        multi = any(re.fullmatch(p.replace(".", r"\.").replace("*", r"[^.]+"), generic)
                    for p in self.kind.text)
        out = {"widget": "text" if multi else "string"}
        if "pattern" in prop:
            out["pattern"] = [prop["pattern"], self.label(path, ".pattern")]
        elif "maxLength" in prop:
            out["pattern"] = [rf"^[\s\S]{{{prop.get('minLength', 0)},{prop['maxLength']}}}$",
                              t("editor.pattern.length", n=prop["maxLength"])]
        return out

    @staticmethod
    def summary(items: dict[str, Any]) -> str:
        names = list(items.get("properties", {}))[:3]
        return " · ".join("{{fields." + n + "}}" for n in names)


def _generic(path: str) -> str:
    return re.sub(r"\.\*", "", path)


def _value_label(t: Any, kind: str, path: str, value: str) -> str:
    """editor.<kind>.<path>.<value>, else editor.<kind>.<last part>.<value>, else the value."""
    for key in (f"editor.{kind}.{path}.{value}", f"editor.{kind}.{path.rsplit('.', 1)[-1]}.{value}"):
        try:
            return str(t(key))
        except KeyError:
            continue
    return str(value)


@dataclass
class Collection:
    config: dict[str, Any]
    spec: dict[str, Any]  # what editor-format.js needs to write its files


def choices(ctx: BuildContext, community: Community | None) -> dict[str, dict[str, list[str]]]:
    """The values staff pick from, per collection and field: where the build reads them."""
    buildings = list(community.buildings) if community else []
    departments = list(community.departments) if community else []
    phones = [c.phone for c in community.contacts] if community else []  # public numbers only
    return {
        "notices": {"category": list(ctx.options.notice_categories.values()),
                    "buildings": buildings, "department": departments},
        "events": {"category": list(ctx.options.event_categories.values()), "contact": phones},
        "reports": {"expenditure.lines.category": list(REPORT_CATEGORIES.values()),
                    "contact.phone": phones},
        "handbook": {},
        "surveys": {},
        "decisions": {"buildings": buildings},
        "public-income": {},
    }


def collections(ctx: BuildContext, community: Community | None) -> list[Collection]:
    picked = choices(ctx, community)
    out = []
    t = ctx.t
    content = repo_folder(ctx)
    for kind in KINDS:
        build = FieldBuilder(kind, schema_of(kind), ctx, {
            k: v for k, v in picked[kind.name].items() if v})
        fields_ = build.fields(schema_of(kind))
        cfg: dict[str, Any] = {
            "name": kind.name, "label": t(f"editor.{kind.name}"),
            "label_singular": t(f"editor.{kind.name}.one"),
            "description": t(f"editor.{kind.name}.description"),
            "folder": f"{content}/{kind.folder}", "extension": kind.extension,
            "format": f"portal-{kind.name}", "create": True, "delete": False,
            "slug": kind.slug, "media_folder": "", "public_folder": "",
            "editor": {"preview": kind.markdown},
        }
        if kind.slug == "{{fields.file_name}}":
            fields_.insert(0, {"name": FILE_NAME, "label": t("editor.file_name"),
                               "hint": t(f"editor.{kind.name}.file_name.hint"),
                               "widget": "portal-file-name", "required": False,
                               # names the calendar's own pages take (the build refuses them)
                               "portal_reserved": list(EVENT_RESERVED) if kind.name == "events" else []})
            cfg["identifier_field"] = "title"
        else:
            cfg["identifier_field"] = kind.slug.strip("{}")
        if kind.markdown:
            # no image button: pictures go in as attachments (the build copies those)
            fields_.append({"name": "body", "label": t("editor.body"), "widget": "markdown",
                            "modes": ["raw", "rich_text"], "editor_components": [],
                            "hint": t("editor.body.hint")})
        cfg["fields"] = fields_
        if kind.name == "notices":
            # The file's day as the date field reads in the browser (Decap's {{day}} is the
            # UTC day: a notice at 07:30 in Beijing would be named the day before). Only the
            # slug template takes filters; the year folder is {{year}} (UTC: a notice early
            # on 1 January lands in the year before's folder, which the build accepts).
            cfg["slug"] = "{{fields.date | date('YYYY-MM-DD')}}-{{fields.file_name}}"
            cfg["path"] = "{{year}}/{{slug}}"
            cfg["summary"] = "{{date}} · {{title}}"
            cfg["sortable_fields"] = [{"field": "date", "label": t("editor.notices.date"),
                                       "default_sort": "desc"},
                                      {"field": "title", "label": t("editor.field.title")}]
            cfg["view_filters"] = [
                {"label": t("editor.filter.level", level=_value_label(t, "notices", "level", lv)),
                 "field": "level", "pattern": lv} for lv in ("urgent", "important")]
            cfg["view_groups"] = [{"label": t("editor.group.year"), "field": "date",
                                   "pattern": r"\d{4}"}]
            for field in fields_:
                if field["name"] == "date":  # the file's name holds its day (see the build)
                    field.update(widget="portal-datetime",
                                 portal_file_day=t("editor.notices.date.file_day"))
                if field["name"] == "attachments":
                    field.update({"widget": "list", "field": {
                        "name": "file", "label": t("editor.notices.attachments.file"),
                        "widget": "file", "media_library": {"config": {"multiple": False}}}})
        if kind.name == "reports":
            for field in fields_:
                if field["name"] == "expenditure_csv":
                    field["widget"] = "file"
                    field.pop("pattern", None)
        if kind.name == "decisions":  # the rule table beside them has no convener
            cfg["filter"] = {"field": "convener", "pattern": "."}
        if kind.name == "events":
            cfg["sortable_fields"] = [{"field": "start", "label": t("editor.events.start"),
                                       "default_sort": "desc"},
                                      {"field": "title", "label": t("editor.field.title")}]
        spec = {"markdown": kind.markdown, "drop": [FILE_NAME], "defaults": build.defaults,
                "numbers": build.numbers}
        out.append(Collection(cfg, spec))
    community_build = FieldBuilder(Kind("community", Community, "", "yml", ""),
                                   Community.model_json_schema(), ctx, {})
    community_fields = community_build.fields(Community.model_json_schema())
    out.append(Collection({
        "name": "community", "label": t("editor.community"),
        "description": t("editor.community.description"),
        "format": "portal-community", "extension": "yml", "editor": {"preview": False},
        "files": [{"name": "community", "label": t("editor.community.one"),
                   "file": f"{content}/community.yml", "fields": community_fields}],
    }, {"markdown": False, "drop": [], "defaults": community_build.defaults,
        "numbers": community_build.numbers}))
    return out


def repo_folder(ctx: BuildContext) -> str:
    """The content folder's path in the repository the editor commits to (an absolute
    content_dir, as tests and the local stack's copies use, is that repository's folder)."""
    folder = Path(ctx.options.content_dir)
    return folder.name if folder.is_absolute() else folder.as_posix().strip("/")


def backend(ctx: BuildContext) -> dict[str, Any]:
    """Where saves go: the local stack's decap-server, or the git host through the
    portal's proxy with the staff sign-in (see editor_backend in options.py)."""
    o = ctx.options
    if o.editor_backend == "proxy":
        return {"name": "aws-cognito-github-proxy", "repo": o.editor_repo, "branch": o.editor_branch,
                "api_root": o.editor_proxy_url, "base_url": o.oidc_url, "app_id": o.oidc_client_id,
                "auth_endpoint": "oauth2/authorize", "auth_token_endpoint": "oauth2/token",
                "squash_merges": True,
                "commit_messages": _commit_messages(ctx)}
    return {"name": "proxy", "proxy_url": o.editor_local_url, "branch": o.editor_branch,
            "commit_messages": _commit_messages(ctx)}


def _commit_messages(ctx: BuildContext) -> dict[str, str]:
    t = ctx.t
    return {k: t(f"editor.commit.{k}") for k in ("create", "update", "delete", "uploadMedia",
                                                   "deleteMedia", "openAuthoring")}


def config(ctx: BuildContext, community: Community | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decap's configuration and the file format's per-collection spec."""
    cols = collections(ctx, community)
    cfg = {
        "backend": backend(ctx),
        "publish_mode": "editorial_workflow",
        "locale": "zh_Hans" if ctx.t.language == "zh" else "en",
        "site_url": ctx.site_url,
        "display_url": ctx.site_url,
        "logo_url": "../../assets/favicon.svg",
        "media_folder": f"{repo_folder(ctx)}/media",
        # unicode: an uploaded file keeps its Chinese name (ascii turned 停水通知.pdf into
        # ".pdf"); the names the build reads as addresses are checked by their own fields
        "slug": {"encoding": "unicode", "clean_accents": False, "sanitize_replacement": "-"},
        "show_preview_links": False,
        "search": True,
        "collections": [c.config for c in cols],
    }
    specs = {c.config["name"]: c.spec for c in cols}
    return cfg, specs


def csp(ctx: BuildContext) -> str:
    """As strict as Decap allows. Its relaxations, each needed by Decap itself:
    script-src 'unsafe-eval' (Ajv compiles the config schema with new Function);
    style-src 'unsafe-inline' (its CSS-in-JS writes <style> elements at run time);
    img-src and connect-src blob: (its previews read files chosen for upload and loaded
    entries' media as blob: URLs)."""
    o = ctx.options
    # only the active backend: decap-server locally; the git proxy and the sign-in page's
    # token and user-info endpoints on AWS
    urls = (o.editor_proxy_url, o.oidc_url) if o.editor_backend == "proxy" else (o.editor_local_url,)
    connect = sorted({origin(u) for u in urls if origin(u)})
    return ("default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:; connect-src 'self' blob: {' '.join(connect)}; "
            "form-action 'none'; base-uri 'none'")


class EditorFeature(Feature):
    key = "editor"

    def load(self, ctx: BuildContext, loader: Loader) -> None:
        return None

    def render(self, data: None, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not ctx.options.editor_assets or ctx.options.editor_backend == "none":
            return []
        assets = Path(ctx.options.editor_assets)  # made absolute from mkdocs.yml's folder
        missing = [p for p in [*ASSETS.values(), YAML_LIB] if not (assets / p).exists()]
        if missing:
            raise ContentInvalid([ContentError(
                "mkdocs.yml", "plugins.portal.editor_assets", "the portal's npm tools with Decap "
                "CMS (run bash scripts/setup.sh)", f"{assets} without " + ", ".join(missing))])
        community = ctx.community
        cfg, specs = config(ctx, community)
        html = ctx.render("portal/editor.html", csp=csp(ctx), editor=json.dumps(
            {"specs": specs, "t": ctx.t.prefixed("editor.js.")}, ensure_ascii=False, sort_keys=True))
        out: list[OutputFile | LightPage] = [
            OutputFile(f"{BASE}/index.html", html),
            OutputFile(f"{BASE}/config.yml", yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)),
        ]
        for name, rel in ASSETS.items():
            out.append(OutputFile(f"{BASE}/{name}", (assets / rel).read_bytes()))
        for path in _files(assets / YAML_LIB):
            rel = path.relative_to(assets / YAML_LIB).as_posix()
            out.append(OutputFile(f"{BASE}/vendor/yaml/{rel}", path.read_bytes()))
        return out


def _files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*.js")) if p.is_file())


__all__ = ["KINDS", "EditorFeature", "collections", "config", "csp"]
