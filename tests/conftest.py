"""Fixture sites, the built example portal, and a real headless Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from portal_staff.devstack import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FIXED_NOW = "2026-11-23T09:00:00"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

MINIMAL_COMMUNITY = """\
name: 测试苑
full_name: 测试苑小区
city: 杭州市
address: 测试路 1 号
property_company: 测试物业
households: 120
buildings: [1栋, 2栋, 3栋]
contacts:
  - {key: hotline, label: 24 小时服务热线, phone: 0571-0000 0000, hours: 全天}
email: a@b.cn
reception: {place: 1栋一楼, hours: 8:00–20:00}
"""


# --- requests the API tests share ----------------------------------------------------------

# An owner's complaint with every optional field (contact details and unit included).
MESSAGE = {
    "kind": "complaint", "category": "noise", "subject": "夜间施工噪音",
    "body": "3栋旁边工地晚上十一点还在施工，影响休息。",
    "building": "3栋", "unit": "1502",
    "contact": {"name": "王阿姨", "phone": "138 0000 1234", "email": "wang@example.com"},
}


def post(client: Any, body: Any, key: str | None = "key-0000001", path: str = "/suggestions",
         headers: dict[str, str] | None = None) -> Any:
    h = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {}),
         **(headers or {})}
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.http.post(path, headers=h, body=raw)


# A small code survey with every question kind, and answers that pass it.
SURVEY = """\
id: quick-poll
title: 快速调查
intro: 三个问题。
opens: 2026-11-01
closes: 2026-11-30
access: codes
households: 100
k: 5
sections:
  - title: 满意度
    questions:
      - {id: sat_clean, kind: rating, item: 清洁卫生, text: 清洁满意吗？}
      - {id: why, kind: multiple, required: false, text: 不满意的原因, options: [不及时, 不干净],
         show_if: {question: sat_clean, answer: [1, 2]}}
      - {id: imp_clean, kind: importance, pairs_with: sat_clean, text: 清洁重要吗？}
      - {id: sat_green, kind: rating, item: 绿化养护, text: 绿化满意吗？}
      - {id: imp_green, kind: importance, pairs_with: sat_green, text: 绿化重要吗？}
      - {id: years, kind: single, text: 居住多久？, options: [不到1年, 1年以上]}
      - {id: nps, kind: nps, text: 推荐吗？}
      - {id: note, kind: text, required: false, max_length: 20, text: 其他意见}
"""
ANSWERS_OK = {"sat_clean": 4, "imp_clean": 5, "sat_green": 2, "imp_green": 3, "years": "1年以上",
        "nps": 9}


@dataclass
class Site:
    """A built site; `page("handbook/fees/")` reads the HTML of one page."""

    root: Path

    def page(self, url: str) -> str:
        path = self.root / url
        if url.endswith("/") or url == "":
            path = path / "index.html"
        return path.read_text(encoding="utf-8")

    def exists(self, url: str) -> bool:
        path = self.root / url
        return (path / "index.html").is_file() if url.endswith("/") else path.is_file()


def site_config(base: Path, content: Path, site_dir: Path, now: str = FIXED_NOW,
                **extra: Any) -> Path:
    """Write an mkdocs.yml for a fixture site: the repo's config, pointed at `content`."""
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    cfg["docs_dir"] = str(ROOT / "site_src" / "pages")
    cfg["theme"]["custom_dir"] = str(ROOT / "site_src" / "overrides")
    cfg["site_dir"] = str(site_dir)
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"]["content_dir"] = str(content)
            plugin["portal"]["now"] = now
            if plugin["portal"].get("editor_assets"):  # beside the repo's mkdocs.yml, not this one
                plugin["portal"]["editor_assets"] = str(ROOT / plugin["portal"]["editor_assets"])
    cfg.update(extra)
    path = base / "mkdocs.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


class BuildFailed(Exception):
    """The build stopped; the message is what MkDocs logged as errors."""


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(config_file: Path) -> Site:
    """Build in-process (the portal plugin runs Pagefind over the built site)."""
    errors = _Errors()
    log = logging.getLogger("mkdocs")
    log.addHandler(errors)
    try:
        config = load_config(str(config_file))
        config.plugins.on_startup(command="build", dirty=False)  # as `mkdocs build` does
        build(config)
    except Abort as exc:
        raise BuildFailed("\n".join(errors.messages) or str(exc)) from exc
    finally:
        log.removeHandler(errors)
    return Site(Path(config.site_dir))


BuildFixture = Callable[..., Site]


@pytest.fixture
def fixture_site(tmp_path: Path) -> BuildFixture:
    """Build a small site from {relative path: text} written under a temporary content/."""

    def make(files: dict[str, str], *, community: str | None = MINIMAL_COMMUNITY,
             now: str = FIXED_NOW, **extra: Any) -> Site:
        content = tmp_path / "content"
        content.mkdir(exist_ok=True)
        if community is not None:
            (content / "community.yml").write_text(community, encoding="utf-8")
        for rel, text in files.items():
            path = content / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return build_site(site_config(tmp_path, content, tmp_path / "site", now, **extra))

    return make


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The repository's own example community, built once at a fixed time."""
    base = tmp_path_factory.mktemp("example")
    return build_site(site_config(base, ROOT / "content", base / "site"))


# --- browser harness ---------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Server:
    url: str
    root: Path


def serve(root: Path) -> Iterator[Server]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/", root)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def site_server(example_site: Site) -> Iterator[Server]:
    yield from serve(example_site.root)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page; return serious and critical violations."""
    # Transitions end at once, so colours are measured as they settle (a header fading in
    # mid-check is not a finding); a constructed style sheet, which a strict CSP allows.
    page.evaluate("""() => { const s = new CSSStyleSheet();
        s.replaceSync('*, *::before, *::after { transition: none !important; '
                      + 'animation: none !important; }');
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, s]; }""")
    page.wait_for_timeout(50)
    # evaluated through the DevTools protocol, so a page's strict CSP (the desk) allows it
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def axe_problems(page: Any) -> list[tuple[str, str, list[Any]]]:
    """Serious and critical axe-core findings as (rule, help, elements): [] when clean."""
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in run_axe(page)]


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits the viewport)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def phone_overflow(browser: Any, url: str, path: str) -> int:
    """Open `path` on a 360 px phone, keep a full-page screenshot, return the sideways scroll."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    try:
        pg = ctx.new_page()
        pg.goto(url + path)
        overflow = sideways_overflow(pg)
        pg.screenshot(path=str(artifact(f"phone-360-{path.strip('/').replace('/', '-')}.png")),
                      full_page=True)
        return overflow
    finally:
        ctx.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


# --- DynamoDB Local (the official engine, in memory, once per test session) ---------------

EMULATOR = ROOT / "tools" / "node_modules" / "amplify-dynamodb-simulator" / "emulator"


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    import subprocess

    port = free_port()
    proc = subprocess.Popen(
        ["java", "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
         "-inMemory", "-port", str(port)],
        cwd=EMULATOR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def ddb(dynamodb_endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="ap-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}))


@pytest.fixture
def table(ddb: Any) -> Iterator[str]:
    """A fresh table per test, created the way the app's set-up creates it."""
    import uuid

    from portal_domain.store import create_table

    name = f"t-{uuid.uuid4().hex[:12]}"
    create_table(ddb, name)
    yield name
    ddb.delete_table(TableName=name)


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_795_400_000.0) -> None:  # 2026-11-23 (UTC)
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def example_surveys() -> dict[str, Any]:
    """The example community's survey definitions, as the build reads them."""
    from portal_staff.surveys import definitions

    return definitions(ROOT / "content")


@pytest.fixture
def local_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB Local's keys in the environment (the staff tools and the app read them)."""
    from portal_staff.devstack import LOCAL_CREDENTIALS

    for key, value in LOCAL_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def service(ddb: Any, table: str, clock: Clock) -> Any:
    from portal_domain.cases import CaseService
    from portal_domain.settings import Settings
    from portal_domain.store import Store

    return CaseService(Store(table, ddb), Settings(secret=b"test-secret", rate_limit=1000), clock)


@contextlib.contextmanager
def serving(cases: Any = None, surveys: Any = None) -> Iterator[Any]:
    """The app serves with these services (the other one built over the same store)."""
    from portal_domain import composition
    from portal_domain.cases import CaseService
    from portal_domain.surveys import SurveyService

    base = cases or surveys
    assert base is not None
    composition.use(composition.Services(
        cases or CaseService(base.store, base.settings, base.clock),
        surveys or SurveyService(base.store, base.settings, {}, base.clock)))
    try:
        yield base
    finally:
        composition.use(None)


def app_client(cases: Any = None, surveys: Any = None) -> Iterator[Any]:
    """chalice.test.Client over the real app, serving with these services."""
    from chalice.test import Client

    from app import app

    with serving(cases, surveys), Client(app) as client:
        yield client


@pytest.fixture
def api_client(service: Any) -> Iterator[Any]:
    """chalice.test.Client over the real app, its service bound to this test's table."""
    yield from app_client(cases=service)


@pytest.fixture(scope="session")
def portal_stack(tmp_path_factory: pytest.TempPathFactory, dynamodb_endpoint: str, ddb: Any
                 ) -> Iterator[tuple[Server, str]]:
    """The example site on localhost, built against a real `chalice local` on DynamoDB Local."""
    from portal_domain.store import create_table
    from portal_staff import devstack
    from portal_staff.surveys import bundle

    base = tmp_path_factory.mktemp("stack")
    site_dir = base / "site"
    site_dir.mkdir()
    table = "browser-stack"
    create_table(ddb, table)
    surveys = base / "survey_definitions.json"
    bundle(ROOT / "content", surveys)  # what `chalice local` validates survey answers against
    for server in serve(site_dir):
        origin = server.url.rstrip("/")
        api_port = devstack.free_port()
        # the API's clock agrees with the site's build time (surveys open and close by date)
        api = devstack.start_api(api_port, dynamodb_endpoint, table, origin, surveys,
                                 extra_env={"PORTAL_NOW": FIXED_NOW})
        # the case desk: cognito-local as the issuer, the staff API a day later than the
        # owners' (so a complaint sent now is overdue there)
        issuer_port, staff_port = devstack.free_port(), devstack.free_port()
        procs = [api, devstack.start_cognito(issuer_port, base / "cognito")]
        issuer = devstack.seed_cognito(issuer_port, [f"{origin}/staff/"])
        procs.append(devstack.start_staff_api(staff_port, dynamodb_endpoint, table, origin, issuer,
                                              extra_env={"PORTAL_NOW": DESK_NOW}))
        STACK["issuer"] = issuer
        build_env = {"PORTAL_API_URL": f"http://127.0.0.1:{api_port}",
                     **devstack.desk_env(f"http://127.0.0.1:{staff_port}", issuer)}
        os.environ.update(build_env)
        try:
            build_site(site_config(base, ROOT / "content", site_dir))
        finally:
            for key in build_env:
                del os.environ[key]
        try:
            yield server, table
        finally:
            devstack.stop(*procs)


DESK_NOW = "2026-11-24T10:00:00"  # a day after FIXED_NOW: a complaint sent then is overdue
STACK: dict[str, Any] = {}


@pytest.fixture(scope="session")
def desk_issuer(portal_stack: tuple[Server, str]) -> Any:
    """The stack's sign-in issuer (cognito-local) with its three staff accounts."""
    return STACK["issuer"]


# --- the staff API (its own Chalice app) and a test issuer --------------------------------

def staff_app_module() -> Any:
    """staff_api/app.py as the module `staff_app` (the owners' app is already `app`)."""
    import importlib.util
    import sys

    if "staff_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("staff_app", ROOT / "staff_api" / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["staff_app"] = module
        spec.loader.exec_module(module)
    return sys.modules["staff_app"]


@pytest.fixture(scope="session")
def issuer() -> Iterator[Any]:
    from issuer import TestIssuer

    found = TestIssuer()
    yield found
    found.close()


@pytest.fixture
def staff_client(service: Any, issuer: Any) -> Iterator[Any]:
    """chalice.test.Client over the real staff app, checking tokens of the test issuer."""
    from chalice.test import Client

    from portal_domain.auth import AuthSettings, Verifier, use_verifier

    use_verifier(Verifier(AuthSettings(
        issuer.url, issuer.client_id, issuer.url + "/.well-known/jwks.json", "local")))
    try:
        with serving(cases=service), Client(staff_app_module().app) as client:
            yield client
    finally:
        use_verifier(None)
