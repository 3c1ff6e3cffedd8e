"""A broken save does not break the preview: under the README's run command (mkdocs
serve), a notice saved with a mistake shows its problem where its page was, the rest of
the site keeps serving, and fixing the file brings the page back without a restart.
`mkdocs build` still fails on the same mistake."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import MINIMAL_COMMUNITY, ROOT, BuildFailed, BuildFixture, free_port, wait_for_port

NOTICE = """---
title: 3栋停水通知
date: 2026-11-20 09:00
category: 停水停电
department: 工程部
---
11月21日9:00至12:00，3栋停水。
"""
URL = "notices/2026/11/water-cut/"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_until(url: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        status, body = fetch(url)
        if status == 200 and text in body:
            return body
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {text!r}; last: {body[:300]!r}")


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`mkdocs serve` (as the README's run command starts it) over a small portal."""
    content = tmp_path / "content"
    (content / "notices" / "2026").mkdir(parents=True)
    (content / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    notice = content / "notices" / "2026" / "2026-11-20-water-cut.md"
    notice.write_text(NOTICE, encoding="utf-8")
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    cfg["docs_dir"] = str(ROOT / "site_src" / "pages")
    cfg["theme"]["custom_dir"] = str(ROOT / "site_src" / "overrides")
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"].update(content_dir=str(content), now="2026-11-23T09:00:00")
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True),
                                         encoding="utf-8")
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mkdocs")), "serve", "--livereload", "--dirty",
         "--dev-addr", f"127.0.0.1:{port}", "-f", str(tmp_path / "mkdocs.yml")],
        cwd=tmp_path, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}/", notice
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        shutil.rmtree(tmp_path / "site", ignore_errors=True)


@pytest.mark.parametrize(("broken", "problem"), [
    (NOTICE.replace("2026-11-20 09:00", "2026-11-31 09:00"), "date: expected"),
    (NOTICE.replace("停水停电", "天气"), "category: expected one of"),
    (NOTICE.replace("title: 3栋停水通知\n", "title: [3栋停水通知\n"), "front matter: expected valid YAML"),
])
def test_a_broken_save_shows_the_error_where_the_page_was(preview: tuple[str, Path],
                                                          broken: str, problem: str) -> None:
    base, notice = preview
    wait_until(base + URL, "3栋停水通知")
    notice.write_text(broken, encoding="utf-8")
    page = wait_until(base + URL, "内容文件有错误")
    assert "content/notices/2026/2026-11-20-water-cut.md: " + problem in page
    home = wait_until(base, "内容文件有错误")  # the rest keeps serving, and says so
    assert fetch(base + "handbook/")[0] in (200, 404) and "3栋停水通知" not in home
    notice.write_text(NOTICE, encoding="utf-8")
    fixed = wait_until(base + URL, "11月21日9:00至12:00")
    assert "内容文件有错误" not in fixed


def test_the_same_mistake_still_fails_a_build(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"notices/2026/2026-11-20-water-cut.md":
                      NOTICE.replace("停水停电", "天气")})
    assert "content/notices/2026/2026-11-20-water-cut.md: category: expected one of" in \
        str(caught.value)


def test_a_preview_with_a_name_used_twice_still_renders(tmp_path: Path) -> None:
    """Two notices of one month with one name: the second is the problem, the first keeps
    its page (no problem page takes its address)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from portal.features import all_features
    from portal.i18n import Translator
    from portal.pipeline import BuildContext, LightPage, load, template_env

    content = tmp_path / "content"
    (content / "notices" / "2026" / "more").mkdir(parents=True)
    (content / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    (content / "notices" / "2026" / "2026-11-20-water-cut.md").write_text(NOTICE, encoding="utf-8")
    (content / "notices" / "2026" / "more" / "2026-11-20-water-cut.md").write_text(
        NOTICE.replace("3栋", "4栋"), encoding="utf-8")
    tz = ZoneInfo("Asia/Shanghai")
    env = template_env()
    ctx = BuildContext(content_dir=content, site_url="http://127.0.0.1:8000/",
                       now=datetime(2026, 11, 23, 9, 0, tzinfo=tz), tz=tz, t=Translator("zh"),
                       env=env)
    portal = load(ctx, all_features(), strict=False)
    assert [p.field for p in portal.problems] == ["(file name)"]
    pages = {p.url: p for p in portal.render() if isinstance(p, LightPage)}
    assert pages[URL].title == "3栋停水通知" and "内容文件有错误" not in pages[URL].html


def test_a_save_rebuilds_once_and_a_build_reading_files_starts_none(
        preview: tuple[str, Path]) -> None:
    """The preview hears file events from the OS; files a build opens and reads are not
    changes (else every build would start the next one)."""
    base, notice = preview
    wait_until(base + URL, "3栋停水通知")
    log = notice.parents[3] / "serve.log"

    def rebuilds() -> int:
        return log.read_text(encoding="utf-8", errors="replace").count("Detected file changes")

    time.sleep(3)
    before = rebuilds()
    time.sleep(4)
    assert rebuilds() == before
    notice.write_text(NOTICE.replace("9:00至12:00", "9:00至11:00"), encoding="utf-8")
    wait_until(base + URL, "9:00至11:00")
    time.sleep(4)
    assert 1 <= rebuilds() - before <= 2
