"""Decisions, 公共收益 ledgers and corrections in a real headless Chromium: accessible on a 360 px
phone in light and dark, printable."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Server, artifact, axe_problems, phone_overflow

pytestmark = pytest.mark.browser

PAGE_TYPES = {
    "decision-passed": "decisions/2026-roof-7/",
    "decision-three-quarters": "decisions/2025-lift-ads/",  # with a source file and its SHA-256
    "decision-failed": "decisions/2026-playground/",
    "decisions": "decisions/",
    "ledger": "public-income/2026-H1/",
    "ledgers": "public-income/",
    "report-corrected": "reports/2026-H1/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_no_serious_accessibility_violations_on_a_360px_phone(browser: Any, site_server: Server,
                                                              path: str, scheme: str) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                              color_scheme=scheme)
    pg = ctx.new_page()
    pg.goto(site_server.url + path)
    problems = axe_problems(pg)
    ctx.close()
    assert problems == []


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_the_pages_fit_a_360px_phone(browser: Any, site_server: Server, path: str) -> None:
    overflow = phone_overflow(browser, site_server.url, path)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


def test_the_pages_state_the_policy_of_every_owner_page(page: Any, site_server: Server) -> None:
    for path in PAGE_TYPES.values():
        page.goto(site_server.url + path)
        policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path


def test_a_decision_prints_with_its_thresholds_and_source(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "decisions/2025-lift-ads/")
    page.emulate_media(media="print")
    for hidden in (".md-header", ".md-tabs"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in ("#thresholds-table", "#votes-table", ".portal-decision__hash",
                  ".portal-decision__notice"):
        assert page.locator(shown).is_visible(), shown
    assert page.locator(".portal-table-scroll").evaluate_all(
        "els => els.every(e => e.scrollWidth <= e.clientWidth + 1)")
    artifact("print-decision.pdf").write_bytes(page.pdf(format="A4", print_background=False))
