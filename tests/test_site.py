"""The example portal builds strictly, searches in Chinese and switches interface language."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, BuildFixture, Site
from portal.i18n import catalogue, languages


def test_example_site_builds_with_strict() -> None:
    env = {**os.environ, "PORTAL_NOW": "2026-11-23T09:00:00", "NO_MKDOCS_2_WARNING": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "/tmp/portal-strict"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "WARNING" not in out.stderr


def test_pagefind_indexes_page_content_only(example_site: Site) -> None:
    """Pagefind's bundle is built; only page content is marked for it, by section."""
    assert (example_site.root / "pagefind" / "pagefind.js").is_file()
    assert list((example_site.root / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert not (example_site.root / "search" / "search_index.json").exists()
    renovation = example_site.page("handbook/renovation/")
    assert 'data-pagefind-body data-pagefind-filter="section:handbook"' in renovation
    body = renovation.index("data-pagefind-body")
    assert renovation.index('class="md-header') < body < renovation.index('class="md-footer')
    notice = example_site.page("notices/2026/11/urgent-water-cut-3-4/")
    assert 'data-pagefind-filter="section:notices"' in notice
    assert 'data-pagefind-meta="date:2026年11月23日"' in notice
    assert 'data-pagefind-filter="status:expired"' in example_site.page("notices/2026/07/water-cut-1-2/")
    # The home page repeats other pages; lists and archives are not results of their own.
    for url in ("", "notices/", "notices/category/outage/", "notices/archive/2026/11/"):
        assert "data-pagefind-body" not in example_site.page(url), url


def test_interface_strings_exist_in_every_language() -> None:
    langs = languages()
    assert {"zh", "en"} <= set(langs)
    keys = {lang: set(catalogue(lang)) for lang in langs}
    for lang in langs:
        assert keys[lang] == keys["zh"], lang


@pytest.mark.parametrize(("language", "home", "hotline"), [("zh", "首页", "24小时服务热线"),
                                                          ("en", "Home", "24-hour hotline")])
def test_switching_language_switches_portal_strings(fixture_site: BuildFixture, language: str,
                                                    home: str, hotline: str) -> None:
    page = "---\ntitle: 概况\norder: 1\nsummary: 简介\n---\n正文\n"
    site = fixture_site({"handbook/overview.md": page}, theme={
        **yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["theme"],
        "language": language, "custom_dir": str(ROOT / "site_src" / "overrides"),
    })
    html = site.page("")
    tabs = [m.strip() for m in re.findall(r'class="md-tabs__link">([^<]*)</a>', html)]
    assert tabs[:2] == [home, {"zh": "住户手册", "en": "Handbook"}[language]]
    assert {"zh": "意见与建议", "en": "Suggestions"}[language] in tabs
    assert hotline in html


def test_no_third_party_hosts_in_built_html(example_site: Site) -> None:
    for path in example_site.root.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html, path


def test_no_owner_phone_numbers_anywhere_on_the_site(example_site: Site) -> None:
    """Only the company's public numbers may appear; a mainland mobile number never does."""
    mobile = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
    for path in example_site.root.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".ics", ".csv", ".yml", ".txt"):
            found = mobile.findall(path.read_text(encoding="utf-8", errors="replace"))
            assert found == [], (path, found)
