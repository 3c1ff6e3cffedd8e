"""Site search (Pagefind) in a real headless Chromium: Chinese words, sections, expired
notices, a slow phone, the keyboard, a screen reader, and no JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from conftest import BuildFixture, Server, artifact, axe_problems, serve

pytestmark = pytest.mark.browser

WATER_CUT = "notices/2026/11/urgent-water-cut-3-4/"
RESULT = ".md-search-result__link"


def phone(browser: Any, **extra: Any) -> Any:
    return browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                               locale="zh-CN", **extra)


def search(page: Any, query: str) -> list[str]:
    """Type `query` into the header box (desktop) and return the result paths in order."""
    box = page.locator("#portal-search-input")
    box.click()
    # Forget the previous answer, so that the wait below is for this query's.
    page.evaluate("document.querySelector('[data-portal-search-status]').textContent = ''")
    box.fill(query)
    page.wait_for_function("() => { const s = document.querySelector('[data-portal-search-status]')"
                           ".textContent; return s.includes('条结果') || s.includes('没有找到'); }",
                           timeout=15_000)
    return hrefs(page)


def hrefs(page: Any) -> list[str]:
    links: list[str] = page.locator(RESULT).evaluate_all("els => els.map(e => e.href)")
    return [urlparse(h).path for h in links]


def test_water_cut_typed_at_once_on_a_slow_phone_is_answered(browser: Any, site_server: Server) -> None:
    """360 px, CPU / 4: the query typed while search loads is not lost."""
    ctx = phone(browser)
    try:
        pg = ctx.new_page()
        ctx.new_cdp_session(pg).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        pg.goto(site_server.url)
        pg.locator("label.md-header__button[for=__search]").click()
        pg.wait_for_function("document.activeElement && document.activeElement.id === 'portal-search-input'")
        pg.keyboard.type("停水")
        pg.locator(f'{RESULT}[href$="/{WATER_CUT}"]').wait_for(timeout=15_000)
        pg.screenshot(path=str(artifact("search-360-water-cut.png")))
        first = pg.locator(".md-search-result__item").first
        assert "紧急通知" in first.inner_text() and "通知公告" in first.inner_text()
        assert "<mark>停水</mark>" in first.inner_html()
        assert pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    finally:
        ctx.close()


def test_a_failed_load_is_retried_and_the_query_still_answered(browser: Any,
                                                              site_server: Server) -> None:
    """The phone loses the connection as search loads: the load is tried again and what
    was typed is answered without typing it again."""
    ctx = phone(browser)
    try:
        pg = ctx.new_page()
        dropped: list[str] = []

        def drop_once(route: Any) -> None:
            if not dropped:
                dropped.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        pg.route("**/pagefind/pagefind.js", drop_once)
        pg.goto(site_server.url)
        pg.locator("label.md-header__button[for=__search]").click()
        pg.keyboard.type("停水")
        pg.locator(f'{RESULT}[href$="/{WATER_CUT}"]').wait_for(timeout=15_000)
        assert dropped
    finally:
        ctx.close()


@pytest.mark.parametrize(("query", "expected"), [
    ("装修", "/handbook/renovation/"),
    ("物业费", "/handbook/fees/"),
    ("电梯", "/notices/2026/11/lift-maintenance-9-10/"),
    ("停水", f"/{WATER_CUT}"),
])
def test_chinese_words_find_the_page_meant(page: Any, site_server: Server, query: str,
                                           expected: str) -> None:
    page.goto(site_server.url)
    found = search(page, query)
    assert expected in found[:5], found


def test_results_show_section_date_and_no_header_or_footer_text(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    search(page, "装修")
    items = page.locator(".md-search-result__item").all_inner_texts()
    rules = next(t for t in items if "装修管理规定" in t)
    assert "通知公告" in rules and "2026年03月02日" in rules
    handbook = next(t for t in items if t.startswith("装修手续"))
    assert "住户手册" in handbook
    # The header (its skip link "跳转至") is on every page but never indexed.
    assert search(page, "跳转至") == []
    assert "没有找到" in page.locator("[data-portal-search-status]").inner_text()


def test_a_section_filter_narrows_the_results(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    everything = search(page, "停水")
    assert any(h.startswith("/notices/") for h in everything)
    assert any(not h.startswith("/notices/") for h in everything), everything
    page.evaluate("document.querySelector('[data-portal-search-status]').textContent = ''")
    page.select_option("#portal-search-section", "handbook")
    page.wait_for_function("() => document.querySelector('[data-portal-search-status]')"
                           ".textContent.includes('条结果')")
    narrowed = hrefs(page)
    assert narrowed and set(narrowed) < set(everything)
    assert all(h.startswith("/handbook/") for h in narrowed), narrowed


def test_expired_notices_are_marked_and_listed_after_current_ones(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    search(page, "停水")
    items = page.locator(".md-search-result__item:not(.portal-search__more)")
    expired = [("已过期" in t) for t in items.all_inner_texts()]
    assert True in expired and False in expired
    assert expired == sorted(expired), "current results first, then expired ones"
    assert "已过期" not in items.first.inner_text()
    old = page.locator(f'{RESULT}[href$="/notices/2026/07/water-cut-1-2/"]')
    assert "已过期" in old.inner_text()


def test_keyboard_only_tab_type_arrow_enter(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "portal-search-input":
            break
    else:
        pytest.fail("Tab never reaches the search box")
    page.keyboard.type("装修")
    page.locator(RESULT).first.wait_for(timeout=15_000)
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and page.evaluate("document.activeElement.matches('.md-search-result__link')")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('href')") == focused
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlparse(page.url).path == urlparse(focused).path
    # Tab from the box also reaches the results (after the section filter).
    page.goto(site_server.url)
    search(page, "装修")
    page.locator("#portal-search-input").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "portal-search-section"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.md-search-result__link')")
    page.keyboard.press("Escape")
    assert not page.evaluate("document.getElementById('__search').checked")


def test_search_ui_is_labelled_and_announces_the_count(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    box = page.locator("#portal-search-input")
    assert box.get_attribute("aria-label") == "搜索全站"
    search(page, "电梯")
    status = page.locator("[data-portal-search-status]")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    n = page.locator(".md-search-result__item:not(.portal-search__more)").count()
    assert n >= 1 and "条结果" in status.inner_text()
    page.screenshot(path=str(artifact("search-results-desktop.png")))
    assert axe_problems(page) == []


def test_open_search_on_a_phone_has_no_serious_accessibility_violations(browser: Any,
                                                                       site_server: Server) -> None:
    ctx = phone(browser)
    try:
        pg = ctx.new_page()
        pg.goto(site_server.url)
        pg.locator("label.md-header__button[for=__search]").click()
        pg.keyboard.type("物业费")
        pg.locator(RESULT).first.wait_for(timeout=15_000)
        pg.screenshot(path=str(artifact("search-360-fees.png")))
        assert axe_problems(pg) == []
    finally:
        ctx.close()


def test_search_asks_no_other_host(browser: Any, site_server: Server) -> None:
    ctx = phone(browser)
    hosts: set[str] = set()
    ctx.on("request", lambda r: hosts.add(urlparse(r.url).netloc))
    try:
        pg = ctx.new_page()
        pg.on("worker", lambda w: hosts.add(urlparse(w.url).netloc))
        pg.goto(site_server.url)
        pg.locator("label.md-header__button[for=__search]").click()
        pg.keyboard.type("停水")
        pg.locator(RESULT).first.wait_for(timeout=15_000)
        pg.locator(RESULT).first.click()
        pg.wait_for_load_state()
    finally:
        ctx.close()
    assert hosts == {urlparse(site_server.url).netloc}


def test_without_javascript_the_box_says_search_needs_it(browser: Any, site_server: Server) -> None:
    ctx = phone(browser, java_script_enabled=False)
    try:
        pg = ctx.new_page()
        pg.goto(site_server.url)
        pg.locator("label.md-header__button[for=__search]").click()  # a CSS toggle: no script
        note = pg.locator(".portal-search__noscript")
        note.wait_for(state="visible")
        assert "搜索需要浏览器启用 JavaScript" in note.inner_text()
        sections = note.locator("a").evaluate_all("els => els.map(e => e.textContent.trim())")
        assert {"通知公告", "住户手册"} <= set(sections)
        assert not pg.locator("#portal-search-section").is_visible()  # the filter needs the script
        pg.screenshot(path=str(artifact("search-360-noscript.png")))
    finally:
        ctx.close()
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        pg = desktop.new_page()
        pg.goto(site_server.url)
        assert pg.locator(".portal-search__noscript-short").is_visible()
    finally:
        desktop.close()


HANDBOOK = "---\ntitle: {title}\norder: {order}\nsummary: 简介\n---\n{body}\n"


@pytest.fixture
def pump_site(fixture_site: BuildFixture) -> Iterator[Server]:
    site = fixture_site({
        "handbook/garage.md": HANDBOOK.format(title="地下车库", order=1,
                                              body="本周更换地下车库排水泵，期间车库东侧暂停停车。"),
        "handbook/other.md": HANDBOOK.format(title="绿化", order=2, body="春季补种草坪。"),
    })
    yield from serve(site.root)


def test_part_of_a_longer_word_is_found(page: Any, pump_site: Server) -> None:
    page.goto(pump_site.url)
    assert "/handbook/garage/" in search(page, "排水")
    assert "/handbook/garage/" in search(page, "排水泵")
