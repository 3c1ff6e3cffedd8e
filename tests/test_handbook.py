"""Staff write handbook pages as Markdown; owners read them in order, with the hotline at hand."""

from __future__ import annotations

import re

from conftest import BuildFixture

FEES = """---
title: 物业费
order: 20
summary: 物业费由哪些部分组成
---
## 收费标准

住宅 2.5 元/㎡·月。
"""
OVERVIEW = """---
title: 社区概况
order: 10
summary: 位置、楼栋与设施
---
共 3 栋楼。
"""


def test_handbook_pages_are_published_in_order(fixture_site: BuildFixture) -> None:
    site = fixture_site({"handbook/fees.md": FEES, "handbook/overview.md": OVERVIEW})
    html = site.page("handbook/fees/")
    assert "<h1" in html and "物业费</h1>" in html
    assert "住宅 2.5 元/㎡·月。" in html
    index = site.page("handbook/")
    titles = re.findall(r'<li class="portal-card"><a href="([^"]+)"><strong>([^<]+)</strong>', index)
    assert titles == [("overview/", "社区概况"), ("fees/", "物业费")]
    assert "物业费由哪些部分组成" in index


def test_handbook_tab_appears_only_when_there_is_a_handbook(fixture_site: BuildFixture) -> None:
    site = fixture_site({})
    tabs = site.page("").split('class="md-tabs__list"', 1)[1].split("</ul>", 1)[0]
    assert "首页" in tabs and "住户手册" not in tabs
    assert not site.exists("handbook/")


def test_handbook_tab_lists_chapters(fixture_site: BuildFixture) -> None:
    site = fixture_site({"handbook/fees.md": FEES})
    tabs = site.page("").split('class="md-tabs__list"', 1)[1].split("</ul>", 1)[0]
    assert "首页" in tabs and "住户手册" in tabs


def test_home_page_shows_the_hotline_as_a_tap_to_call_link(fixture_site: BuildFixture) -> None:
    home = fixture_site({}).page("")
    assert '<a class="portal-hotline__number" href="tel:057100000000">0571-0000 0000</a>' in home


def test_every_page_carries_the_hotline(fixture_site: BuildFixture) -> None:
    site = fixture_site({"handbook/fees.md": FEES})
    assert 'href="tel:057100000000"' in site.page("handbook/fees/")


def test_contact_card_lists_every_public_contact(fixture_site: BuildFixture) -> None:
    card = fixture_site({}).page("contact-card/")
    assert "测试苑小区" in card and "0571-0000 0000" in card and "mailto:a@b.cn" in card
    assert '<th scope="col">' in card


def test_html_in_front_matter_is_shown_as_text(fixture_site: BuildFixture) -> None:
    page = FEES.replace("summary: 物业费由哪些部分组成", "summary: <script>alert(1)</script>")
    index = fixture_site({"handbook/fees.md": page}).page("handbook/")
    assert "<script>alert(1)</script>" not in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_example_handbook_has_every_chapter_the_domain_asks_for(example_site) -> None:  # type: ignore[no-untyped-def]
    for slug, words in {
        "overview": ["容积率", "绿地率"],
        "rules": ["管理规约"],
        "fees": ["维修资金", "公摊"],
        "contacts": ["0571-8765 4300"],
        "repairs": ["回访"],
        "complaints": ["投诉"],
        "renovation": ["装修"],
        "glossary": ["收缴率", "公摊", "容积率", "绿地率"],
    }.items():
        html = example_site.page(f"handbook/{slug}/")
        for word in words:
            assert word in html, (slug, word)


def test_home_page_says_where_to_go_for_what(fixture_site: BuildFixture) -> None:
    home = fixture_site({"handbook/fees.md": FEES, "handbook/overview.md": OVERVIEW}).page("")
    where = home.split('id="portal-where-title"', 1)[1]
    assert re.findall(r'<a href="(handbook/[^"]+)"><strong>([^<]+)</strong>', where) == [
        ("handbook/overview/", "社区概况"), ("handbook/fees/", "物业费")]
