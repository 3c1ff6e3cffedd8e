"""Notices in a real headless Chromium: accessible, readable on a phone, printable with a QR code."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from conftest import Server, Site, artifact, axe_problems, phone_overflow

pytestmark = pytest.mark.browser

URGENT = "notices/2026/11/urgent-water-cut-3-4/"
PAGE_TYPES = {
    "notice": URGENT,
    "notice-expired": "notices/2025/03/power-cut-7-8/",
    "index": "notices/",
    "category": "notices/category/outage/",
    "building": "notices/building/3/",
    "archive": "notices/archive/",
    "archive-month": "notices/archive/2026/11/",
}


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_notice_pages_have_no_serious_accessibility_violations(page: Any, site_server: Server,
                                                               path: str) -> None:
    page.goto(site_server.url + path)
    assert axe_problems(page) == []


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_notice_pages_fit_a_360px_phone(browser: Any, site_server: Server, path: str) -> None:
    assert phone_overflow(browser, site_server.url, path) <= 0


def test_home_page_shows_tonights_water_cut_first(browser: Any, site_server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    pg = ctx.new_page()
    pg.goto(site_server.url)
    first = pg.locator("article h2").first
    assert first.inner_text() == "紧急与重要通知"
    link = pg.locator(".portal-alerts .portal-notice-item a").first
    assert "3栋" in link.inner_text() and "停水" in link.inner_text()
    box = link.bounding_box()
    assert box is not None and box["y"] < 740, "visible without scrolling on a phone"
    pg.screenshot(path=str(artifact("phone-360-home-with-urgent.png")))
    ctx.close()


def test_a_notice_prints_on_one_a4_sheet_with_a_qr_code_to_its_page(
        page: Any, site_server: Server, example_site: Site) -> None:
    import zxingcpp
    from PIL import Image

    page.goto(site_server.url + URGENT)
    page.emulate_media(media="print")
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".md-tabs").is_visible()
    assert not page.locator(".portal-prevnext").is_visible()
    assert "今晚" in page.locator("h1").inner_text()
    assert page.locator(".portal-signature").is_visible()
    page.screenshot(path=str(artifact("print-notice.png")), full_page=True)
    pdf = page.pdf(format="A4", print_background=False)
    (artifact("print-notice.pdf")).write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "one A4 sheet"

    png = page.locator(".portal-qr svg").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [d.text for d in decoded] == [f"https://portal.jinguiyuan.example.cn/{URGENT}"]


def test_building_filter_works_without_javascript(browser: Any, site_server: Server) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto(site_server.url + "notices/")
    pg.get_by_text("按楼栋").click()
    pg.get_by_role("link", name="9栋", exact=True).click()
    pg.wait_for_url("**/notices/building/9/")
    pg.wait_for_load_state("load")  # read the list once the new page has loaded, not mid-way
    titles = pg.locator(".portal-notice-item > a").all_inner_texts()
    assert any("9栋" in t for t in titles) and not any("3栋" in t for t in titles)
    ctx.close()


def test_feeds_are_advertised_and_served(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "notices/")
    rss = page.locator('a[type="application/rss+xml"]').first.get_attribute("href")
    response = page.request.get(site_server.url + "notices/" + rss)
    assert response.ok and b"<rss" in response.body()
