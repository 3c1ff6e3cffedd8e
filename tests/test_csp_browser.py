"""Every page an owner opens carries a Content-Security-Policy, and it holds in Chromium.

A script an attacker manages to put into a page's HTML (a stored script, an inline event
handler) must not run, on every kind of owner page, whether the policy arrives in the
page itself (a <meta>, as on GitHub Pages and in the preview) or in the CloudFront
response header (deploy/site.yml, computed from the built pages by the deploy). The
theme's own inline scripts are allowed by their hashes and nothing else inline is; the
pages, search (Pagefind), the forms and the preview's live reload still work with no
violation reported.

The probe is put into the served HTML by Playwright routing (the page as built, plus the
probe after <body>); without a policy the same probe runs, so these tests can fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_every_page import crawl

from conftest import MINIMAL_COMMUNITY, ROOT, Server, Site, free_port, wait_for_port

pytestmark = pytest.mark.browser

# One of each kind of page an owner opens (the crawl below adds any other kind).
OWNER_PAGES = {
    "home": "",
    "notice": "notices/2026/11/fire-drill/",
    "notice list": "notices/",
    "notices of a category": "notices/category/safety/",
    "notices of a month": "notices/archive/2026/11/",
    "notices of a building": "notices/building/3/",
    "event": "events/2026-national-day/",
    "events": "events/",
    "events of a month": "events/month/2026/11/",
    "report": "reports/2026-H1/",
    "trends": "reports/trends/",
    "survey": "surveys/2026-satisfaction/",
    "survey results": "surveys/2025-satisfaction/results/",
    "suggestions form": "suggestions/",
    "case status": "suggestions/status/?code=ABCD2345",
    "suggestion figures": "suggestions/reports/",
    "handbook": "handbook/fees/",
    "contact card": "contact-card/",
    "not found": "404.html",
}

PROBE = ('<script>window.__pwned = "script";</script>'
         '<img src="csp-probe-missing.png" alt="" onerror="window.__pwnedByHandler = 1">')
# Every violation the page reports, from before its first script (an init script is
# the browser's own, not the page's: the policy does not apply to it).
RECORD = ("window.__violations = []; document.addEventListener('securitypolicyviolation', "
          "e => window.__violations.push(e.effectiveDirective + ' ' + (e.blockedURI || '') + "
          "' ' + (e.sample || '')));")
META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\s*')
BODY = re.compile(r"<body\b[^>]*>")
HEAD = re.compile(r"<head\b[^>]*>")


class _WithPolicy(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as CloudFront does: every response with the policy header."""

    policy = ""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def header_server(example_site: Site) -> Iterator[tuple[Server, str]]:
    """The example site behind the response header the deploy puts on the CDN."""
    from portal import csp

    policy = csp.site_policy(example_site.root)
    handler = functools.partial(type("Handler", (_WithPolicy,), {"policy": policy}),
                                directory=str(example_site.root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/", example_site.root), policy
    finally:
        httpd.shutdown()
        httpd.server_close()


def open_page(browser: Any, url: str, *, probe: bool = False, strip_meta: bool = False,
              probe_in_head: bool = False) -> Any:
    """Open `url` recording violations; with `probe`, the served HTML gets the probe."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    ctx.add_init_script(RECORD)
    page = ctx.new_page()

    def change(route: Any) -> None:
        response = route.fetch()
        html = response.text()
        if strip_meta:
            html = META.sub("", html)
        if probe:
            where = HEAD if probe_in_head else BODY
            html = where.sub(lambda m: m.group(0) + PROBE, html, count=1)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        route.fulfill(status=response.status, headers=headers, body=html)

    if probe or strip_meta:
        page.route(lambda u: u == url, change)
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)  # the probe image's error event, any late script
    return page


def ran(page: Any) -> dict[str, Any]:
    return {k: v for k, v in page.evaluate(
        "() => ({script: window.__pwned, handler: window.__pwnedByHandler})").items() if v}


def violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__violations"))


@pytest.mark.parametrize("kind", sorted(OWNER_PAGES))
def test_a_script_put_into_an_owner_page_does_not_run(browser: Any, site_server: Server,
                                                      kind: str) -> None:
    """The page's own policy (its <meta>, as served without any header) stops the probe."""
    page = open_page(browser, site_server.url + OWNER_PAGES[kind], probe=True)
    try:
        assert ran(page) == {}, f"{kind}: the injected script ran"
        blocked = " ".join(violations(page))
        assert "script-src-elem" in blocked and "script-src-attr" in blocked, blocked
    finally:
        page.context.close()


@pytest.mark.parametrize("kind", ["home", "notice", "case status", "survey", "not found"])
def test_the_cdn_header_alone_stops_it_too(browser: Any, header_server: tuple[Server, str],
                                           kind: str) -> None:
    """CloudFront's header policy holds by itself: the page's <meta> taken out and the probe
    put first in <head>, before where the <meta> would be."""
    server, _ = header_server
    page = open_page(browser, server.url + OWNER_PAGES[kind], probe=True, strip_meta=True,
                     probe_in_head=True)
    try:
        assert ran(page) == {}, f"{kind}: the injected script ran"
    finally:
        page.context.close()


def test_the_probe_runs_where_no_policy_stops_it(browser: Any, site_server: Server) -> None:
    """The same probe, on a page served without its policy: it runs (so the tests above
    fail if the policy goes)."""
    page = open_page(browser, site_server.url + OWNER_PAGES["case status"], probe=True,
                     strip_meta=True)
    try:
        assert ran(page) == {"script": "script", "handler": 1}
    finally:
        page.context.close()


def every_owner_page(site: Site) -> list[str]:
    found = {min(urls, key=lambda u: (len(u), u)) for urls in crawl(site).values()}
    return sorted((found | set(OWNER_PAGES.values())) - {"staff/"})


def test_every_kind_of_owner_page_works_under_its_policy(browser: Any, example_site: Site,
                                                         header_server: tuple[Server, str]
                                                         ) -> None:
    """With both policies (the page's and the CDN's), no page reports a violation: the
    theme's inline scripts are allowed by hash, the stylesheets, icons, charts and QR
    codes load, and Material's scripts run (the page is marked `js`)."""
    server, _ = header_server
    problems: dict[str, Any] = {}
    pages = every_owner_page(example_site)
    assert len(pages) >= 20, pages
    for url in pages:
        page = open_page(browser, server.url + url)
        try:
            found = violations(page)
            if found:
                problems[url] = found
            elif page.evaluate("document.documentElement.className").split().count("js") != 1:
                problems[url] = "Material's bundle did not run"
        finally:
            page.context.close()
    assert problems == {}


def test_search_works_under_the_policy(browser: Any, header_server: tuple[Server, str]) -> None:
    """Pagefind loads its index and WebAssembly (in the page or its worker) within the
    policy, and shows results."""
    server, _ = header_server
    page = open_page(browser, server.url)
    try:
        page.locator("#portal-search-input").click()  # the desktop header box
        page.locator("#portal-search-input").fill("停水")
        page.locator("#portal-search-results li a").first.wait_for(timeout=15_000)
        assert "停水" in page.locator("#portal-search-results").inner_text()
        assert violations(page) == []
    finally:
        page.context.close()


def policy_of(html: str) -> dict[str, list[str]]:
    """The page's <meta> policy: directive → its sources."""
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert found, "no Content-Security-Policy <meta>"
    return {name: sources for name, *sources in
            (d.split() for d in unescape(found.group(1)).split(";") if d.strip())}


@pytest.mark.parametrize("url", ["", "suggestions/status/", "404.html"])
def test_each_page_states_its_policy_first_in_its_head(example_site: Site, url: str) -> None:
    """The <meta> comes right after the character set (a policy only covers what follows
    it); scripts only from the site or by hash, never 'unsafe-inline' or 'unsafe-eval';
    connections to the site and the owners' API only."""
    html = example_site.page(url) if url.endswith("/") or not url else (
        example_site.root / url).read_text(encoding="utf-8")
    head = html[:html.index("</head>")]
    assert len(META.findall(html)) == 1, url
    assert re.search(r'<head>\s*<meta charset="utf-8">\s*<meta http-equiv="Content-Security-Pol',
                     head), head[:300]
    policy = policy_of(html)
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert all(s in ("'self'", "'wasm-unsafe-eval'") or s.startswith("'sha256-") for s in scripts)
    assert any(s.startswith("'sha256-") for s in scripts)  # the theme's own inline scripts
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8002"]
    assert policy["object-src"] == ["'none'"] and policy["default-src"] == ["'self'"]


NOTICE = """---
title: 3栋停水通知
date: 2026-11-20 09:00
category: 停水停电
department: 工程部
---
11月21日9:00至12:00，3栋停水。
"""
STAFF_SCRIPT = "<script>window.__fromContent = 1;</script>"
HANDBOOK = """---
title: 物业费
order: 20
summary: 物业费由哪些部分组成
---
住宅 2.5 元/㎡·月。

""" + STAFF_SCRIPT + "\n"


def test_a_script_in_a_pages_content_is_never_allowed(fixture_site: Any) -> None:
    """Only the theme's inline scripts are hashed into a page's policy: a script that
    reaches a page through its content (a notice, a handbook page: staff's Markdown lets
    HTML through) is not, in pages MkDocs renders and in pages filled into the theme."""
    from portal import csp

    site = fixture_site({"handbook/fees.md": HANDBOOK,
                         "notices/2026/2026-11-20-water-cut.md": NOTICE + "\n" + STAFF_SCRIPT + "\n"})
    content_script = csp.inline_hashes(STAFF_SCRIPT)[0][0]
    for url in ("handbook/fees/", "notices/2026/11/water-cut/"):
        html = site.page(url)
        assert STAFF_SCRIPT in html, url  # it is in the page...
        policy = policy_of(html)
        assert content_script not in policy["script-src"], url  # ...and may not run
        theme = [s for s in policy["script-src"] if s.startswith("'sha256-")]
        assert len(theme) == 3, (url, theme)  # scope, palette, tab restore


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[str]:
    """`mkdocs serve --livereload` (the README's run command) over a small portal."""
    content = tmp_path / "content"
    (content / "notices" / "2026").mkdir(parents=True)
    (content / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    (content / "notices" / "2026" / "2026-11-20-water-cut.md").write_text(NOTICE, encoding="utf-8")
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    cfg["docs_dir"] = str(ROOT / "site_src" / "pages")
    cfg["theme"]["custom_dir"] = str(ROOT / "site_src" / "overrides")
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"].update(content_dir=str(content), now="2026-11-23T09:00:00")
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mkdocs")), "serve", "--livereload", "--dirty",
         "--dev-addr", f"127.0.0.1:{port}", "-f", str(tmp_path / "mkdocs.yml")],
        cwd=tmp_path, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_the_preview_still_reloads_itself(browser: Any, preview: str) -> None:
    """MkDocs' live reload puts an inline script into every page it serves; the preview's
    policy allows exactly that script, so staff still see their saves at once."""
    ctx = browser.new_context(locale="zh-CN")
    ctx.add_init_script(RECORD)
    page = ctx.new_page()
    try:
        with page.expect_request(lambda r: "/livereload/" in r.url, timeout=30_000):
            page.goto(preview + "notices/2026/11/water-cut/")
        assert "Content-Security-Policy" in page.content()
        assert violations(page) == []
    finally:
        ctx.close()
