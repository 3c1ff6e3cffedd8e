"""Budget disclosures in a real headless Chromium: accessible, readable on a phone, printable on A4."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import Server, artifact, axe_problems, phone_overflow

pytestmark = pytest.mark.browser

PAGE_TYPES = {
    "report": "reports/2026-H1/",  # with lines from a CSV and a previous period
    "report-first": "reports/2025-H1/",  # no previous period to compare with
    "index": "reports/",
    "trends": "reports/trends/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_report_pages_have_no_serious_accessibility_violations(browser: Any, site_server: Server,
                                                               path: str, scheme: str) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                              color_scheme=scheme)
    pg = ctx.new_page()
    pg.goto(site_server.url + path)
    problems = axe_problems(pg)
    ctx.close()
    assert problems == []


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_report_pages_fit_a_360px_phone(browser: Any, site_server: Server, path: str) -> None:
    overflow = phone_overflow(browser, site_server.url, path)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


def test_the_three_headline_figures_are_on_the_first_phone_screen(browser: Any,
                                                                 site_server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(site_server.url + "reports/2026-H1/")
    figures = pg.locator(".portal-report-card__figure")
    assert figures.all_inner_texts()[:3] == ["2,193,565.70", "2,133,512.18", "60,053.52"]
    box = figures.nth(2).bounding_box()
    ctx.close()
    assert box is not None and box["y"] + box["height"] <= 740 * 1.5, "within a short scroll"


def test_wide_tables_scroll_inside_their_own_box_and_take_the_keyboard(browser: Any,
                                                                       site_server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(site_server.url + "reports/2026-H1/")
    box = pg.locator(".portal-table-scroll").filter(has=pg.locator("#spending-table"))
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert box.get_attribute("tabindex") == "0"
    ctx.close()


def test_charts_read_without_javascript(browser: Any, site_server: Server) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto(site_server.url + "reports/trends/")
    chart = pg.get_by_role("img", name="物业费收缴率")
    assert chart.count() == 1 and chart.is_visible()
    assert pg.locator("svg.portal-chart").count() == 11  # collection rate + one per category
    ctx.close()


def test_a_report_prints_on_a4_without_the_site_around_it(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "reports/2026-H1/")
    page.emulate_media(media="print")
    for hidden in (".md-header", ".md-tabs", ".portal-report__toc", ".portal-downloads",
                   ".portal-prevnext"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".portal-report__signature").is_visible()
    assert page.locator("#fund-table").is_visible()
    # Nothing is clipped in print: the scroll boxes open up to the full table.
    assert page.locator(".portal-table-scroll").evaluate_all(
        "els => els.every(e => e.scrollWidth <= e.clientWidth + 1)")
    page.screenshot(path=str(artifact("print-report.png")), full_page=True)
    pdf = page.pdf(format="A4", print_background=False)
    artifact("print-report.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 1 and abs(float(h) - 842.9) < 1 for w, h in boxes)
    assert 2 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 6
