"""Notices in a real headless Chromium: accessible, readable on a phone, printable with a QR code."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from conftest import (
    MINIMAL_COMMUNITY,
    Server,
    Site,
    artifact,
    axe_problems,
    build_site,
    phone_overflow,
    serve,
    site_config,
)

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


@pytest.fixture(scope="module")
def long_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """30 notices, two a page: fourteen older pages behind the first."""
    from datetime import date, timedelta

    base = tmp_path_factory.mktemp("long-list")
    content = base / "content"
    (content / "notices" / "2026").mkdir(parents=True)
    (content / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    for i in range(1, 31):
        day = date(2026, 7, 31) + timedelta(days=i)
        (content / "notices" / "2026" / f"{day}-n{i}.md").write_text(
            f"---\ntitle: 第{i}号通知：电梯年检安排\ndate: {day}\ncategory: 维修养护\n"
            f"department: 工程部\n---\n正文。\n", encoding="utf-8")
    config = site_config(base, content, base / "site")
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"]["notices_per_page"] = 2
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    yield from serve(build_site(config).root)


def test_pagination_on_a_phone_goes_to_older_and_newer_pages(browser: Any,
                                                             long_list: Server) -> None:
    """Owners page with 下一页 (older) and 上一页 (newer) on a 360 px phone; the row of page
    numbers fits without scrolling sideways and passes axe."""
    assert phone_overflow(browser, long_list.url, "notices/page/7/") <= 0
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(long_list.url + "notices/")
    assert pg.locator(".portal-notice-item > a").all_inner_texts()[0].startswith("第30号")
    pg.get_by_role("link", name="下一页").click()
    pg.wait_for_url("**/notices/page/14/")
    pg.get_by_role("link", name="12", exact=True).click()  # two pages older
    pg.wait_for_url("**/notices/page/12/")
    pg.wait_for_load_state("load")
    assert pg.locator(".portal-notice-item > a").all_inner_texts() == [
        "第24号通知：电梯年检安排", "第23号通知：电梯年检安排"]
    assert axe_problems(pg) == []
    pg.get_by_role("link", name="上一页").click()
    pg.wait_for_url("**/notices/page/13/")
    pg.get_by_role("link", name="最新通知").click()
    pg.wait_for_url(re.compile(r".*/notices/$"))
    ctx.close()
