"""Incremental rebuilds write what a full build writes (issue 15, part 4).

A preview (`mkdocs serve --dirty`, the README's run command, driven here in-process the
way MkDocs' serve drives it: a fresh config per rebuild, one plugin instance, one site
folder) goes through the changes staff make. After each, every file of its site is
compared byte for byte with the site a separate process builds from nothing (a new site
folder and an empty cache) for the same content. And `mkdocs build` with a warm, a
damaged or a deleted cache writes the same site as with none.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from conftest import FIXED_NOW, ROOT, build_site

SERVE_URL = "http://127.0.0.1:8000/"
LATER = "2026-12-21T09:00:00"  # past the scheduled 2026-12-20 notice

def preview_build(config_file: str, site_dir: str) -> None:
    """One rebuild of a preview, as MkDocs' serve makes it: the config loaded afresh, the
    plugin told it serves, the site built dirty at the preview's address; then the search
    bundle waited for."""
    config = load_config(config_file, site_dir=site_dir)
    config.plugins.on_startup(command="serve", dirty=True)
    config.site_url = SERVE_URL
    build(config, serve_url=SERVE_URL, dirty=True)
    config.plugins["portal"].search.wait()


# The reference: one preview build from nothing, in a process of its own.
REFERENCE = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_incremental import preview_build
preview_build(*sys.argv[1:3])
"""


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a site by path, but the three files of the search bundle that differ
    between any two Pagefind runs over the same pages (it numbers pages in the order its
    threads finish: the filter lists, the page table and the entry file that names them).
    The fragments (one per page, named by the hash of its content) and the word index
    are compared like every other file."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not (rel.startswith("pagefind/filter/") or rel.endswith(".pf_meta")
                                or rel == "pagefind/pagefind-entry.json"):
            out[rel] = p.read_bytes()
    return out


def differences(a: Path, b: Path) -> list[str]:
    ta, tb = tree(a), tree(b)
    out = [f"only in the preview: {k}" for k in sorted(set(ta) - set(tb))]
    out += [f"missing from the preview: {k}" for k in sorted(set(tb) - set(ta))]
    for k in sorted(set(ta) & set(tb)):
        if ta[k] != tb[k]:
            at = next(i for i, (x, y) in enumerate(zip(ta[k] + b"\0", tb[k] + b"\1", strict=False))
                      if x != y)
            out.append(f"differs: {k} at byte {at}: {ta[k][at - 60:at + 60]!r} "
                       f"vs {tb[k][at - 60:at + 60]!r}")
    return out


class Portal:
    """A copy of the example portal (content, docs folder, theme overrides) in tmp."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.content = base / "content"
        shutil.copytree(ROOT / "content", self.content)
        shutil.copytree(ROOT / "site_src" / "pages", base / "pages")
        shutil.copytree(ROOT / "site_src" / "overrides", base / "overrides")
        for i in range(45):  # enough for list pages with more than one page
            day = 1 + i % 28
            (self.content / "notices" / "2026" / f"2026-10-{day:02d}-extra-{i}.md").write_text(
                f"---\ntitle: 第{i}号通知\ndate: 2026-10-{day:02d} {8 + i % 9:02d}:00\n"
                f"category: {['温馨提示', '维修养护', '停水停电'][i % 3]}\n"
                f"department: 客服中心\n" + ("buildings: [3栋]\n" if i % 4 == 0 else "")
                + f"---\n第{i}号通知的正文。\n", encoding="utf-8")
        cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
        cfg["docs_dir"] = str(base / "pages")
        cfg["theme"]["custom_dir"] = str(base / "overrides")
        for plugin in cfg["plugins"]:
            if isinstance(plugin, dict) and "portal" in plugin:
                plugin["portal"]["content_dir"] = str(self.content)
        self.config = base / "mkdocs.yml"
        self.config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.base / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{rel} has no {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


class Preview:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.site = portal.base / "preview-site"
        self.builds = 0

    def rebuild(self) -> None:
        preview_build(str(self.portal.config), str(self.site))
        self.builds += 1

    def check_against_full_build(self, step: str) -> None:
        reference = self.portal.base / f"reference-{self.builds}"
        cache = self.portal.base / f"reference-cache-{self.builds}"
        out = subprocess.run(
            [sys.executable, "-c", REFERENCE, str(self.portal.config), str(reference)],
            env={**os.environ, "PORTAL_CACHE_DIR": str(cache), "NO_MKDOCS_2_WARNING": "1"},
            capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        found = differences(self.site, reference)
        assert not found, f"after {step}: " + "; ".join(found[:10])
        shutil.rmtree(reference)
        shutil.rmtree(cache)


@pytest.fixture
def preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Preview]:
    from portal.search import SearchWorker

    monkeypatch.setattr(SearchWorker, "QUIET", 0.0)
    monkeypatch.setenv("PORTAL_NOW", FIXED_NOW)
    monkeypatch.setenv("PORTAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    p = Preview(Portal(tmp_path))
    p.rebuild()
    yield p
    # Leave the shared plugin instance as `mkdocs build` expects it.
    load_config(str(p.portal.config)).plugins.on_startup(command="build", dirty=False)


NOTICE = "content/notices/2026/2026-11-19-lift-maintenance-9-10.md"
NEW = "content/notices/2026/2026-11-22-new-water-cut.md"
HANDBOOK = "content/handbook/fees.md"


def _steps(p: Portal, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Callable[[], None]]]:
    notice_text = (p.base / NOTICE).read_text(encoding="utf-8")
    title = notice_text.split("title: ", 1)[1].split("\n", 1)[0]
    return [
        ("a notice's text edited", lambda: p.edit(NOTICE, "\n---\n", "\n---\n新增一段说明。\n\n")),
        ("a notice's title edited (its neighbours link to it)",
         lambda: p.edit(NOTICE, f"title: {title}", "title: 电梯维护时间调整")),
        ("a notice moved to another category", lambda: p.edit(
            "content/notices/2026/2026-10-03-extra-2.md", "category: 停水停电", "category: 安全提示")),
        ("a notice added", lambda: (p.base / NEW).write_text(
            "---\ntitle: 5栋明日停水\ndate: 2026-11-22 10:00\ncategory: 停水停电\nlevel: urgent\n"
            "buildings: [5栋]\ndepartment: 工程部\n---\n明日9:00至12:00停水。\n", encoding="utf-8")),
        ("a notice renamed", lambda: (p.base / NEW).rename(
            p.base / "content/notices/2026/2026-11-22-water-cut-5.md")),
        ("a notice removed", lambda: (p.base / "content/notices/2026/2026-10-05-extra-4.md").unlink()),
        ("a notice saved with a mistake", lambda: p.edit(NOTICE, "category: ", "category: 天气\nx: ")),
        ("the mistake fixed", lambda: p.edit(NOTICE, "category: 天气\nx: ", "category: ")),
        ("time passes: a scheduled notice is due, others expire",
         lambda: monkeypatch.setenv("PORTAL_NOW", LATER)),
        ("an event edited", lambda: p.edit("content/events/2026-movie-night.yml",
                                           "location: 中心广场", "location: 会所二楼")),
        ("a report edited", lambda: p.edit("content/reports/2026-H1.yml", "preface: |\n  各位业主：",
                                           "preface: |\n  各位业主（修订）：")),
        ("a survey edited", lambda: p.edit("content/surveys/2026-satisfaction.yml",
                                           "title: ", "title: （更新）")),
        ("a handbook page edited", lambda: p.edit(HANDBOOK, "\n---\n", "\n---\n\n本页已更新。\n")),
        ("a handbook page added (the navigation changes)",
         lambda: (p.base / "content/handbook/pets.md").write_text(
             "---\ntitle: 宠物饲养\norder: 95\nsummary: 文明养宠。\n---\n\n请牵绳遛狗。\n",
             encoding="utf-8")),
        ("community.yml edited", lambda: p.edit("content/community.yml", "0571-8765 4300",
                                                "0571-8765 4399")),
        ("a theme template edited", lambda: p.edit("overrides/main.html", "{% block",
                                                  "<!-- portal -->\n{% block")),
        ("a stylesheet edited", lambda: p.edit("pages/assets/stylesheets/portal.css", "\n",
                                               "\n/* edited */\n")),
        ("mkdocs.yml edited", lambda: p.edit("mkdocs.yml", "timezone: Asia/Shanghai",
                                             "timezone: Asia/Shanghai\n    notices_per_page: 10")),
    ]


def test_every_kind_of_change_rebuilds_what_a_full_build_writes(
        preview: Preview, monkeypatch: pytest.MonkeyPatch) -> None:
    preview.check_against_full_build("the first build")
    for step, change in _steps(preview.portal, monkeypatch):
        change()
        preview.rebuild()
        preview.check_against_full_build(step)


def test_a_preview_rewrites_only_what_changed(preview: Preview) -> None:
    site = preview.site
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    preview.portal.edit(NOTICE, "\n---\n", "\n---\n新增一段说明。\n\n")
    preview.rebuild()
    rewritten = {p.relative_to(site).as_posix() for p, t in before.items()
                 if p.exists() and p.stat().st_mtime_ns != t}
    generated = {r for r in rewritten if r.startswith("notices/2")}
    # The notice's own page; not the other notices' pages, not the lists (same title).
    assert generated == {"notices/2026/11/lift-maintenance-9-10/index.html"}, generated


def test_a_second_build_reuses_the_cache_and_writes_the_same(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_NOW", FIXED_NOW)
    portal = Portal(tmp_path)
    cold = build_site(portal.config)
    first = tree(cold.root)
    cache = tmp_path / ".cache" / "portal"
    assert (cache / "entries.sqlite").is_file()  # beside mkdocs.yml, outside the site
    assert not any("cache" in k for k in first)

    assert tree(build_site(portal.config).root) == first  # warm

    db = sqlite3.connect(cache / "entries.sqlite")  # every entry damaged on disk
    db.execute("UPDATE entries SET v = CAST(v || X'00' AS BLOB)")
    db.commit()
    db.close()
    for bundle in (cache / "pagefind").iterdir():
        (bundle / "pagefind-entry.json").write_text("{}", encoding="utf-8")
    assert tree(build_site(portal.config).root) == first

    (cache / "entries.sqlite").write_bytes(b"not a database")  # not a cache at all
    for wal in cache.glob("entries.sqlite-*"):
        wal.unlink()
    assert tree(build_site(portal.config).root) == first

    shutil.rmtree(tmp_path / ".cache")  # deleted
    assert tree(build_site(portal.config).root) == first


def test_the_cache_key_holds_the_code_and_the_clock_verdict(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from portal import cache

    package = tmp_path / "portal"
    shutil.copytree(cache.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", package)
    monkeypatch.setattr(cache, "_LOADED", None)
    before = cache.code_fingerprint()
    template = package / "templates" / "portal" / "notice_item.html"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache.code_fingerprint() != before  # a template edited (Jinja reloads it)
    before = cache.code_fingerprint()
    locale = package / "locales" / "zh" / "notices.yml"
    locale.write_text(locale.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_LOADED", None)  # a new process
    assert cache.code_fingerprint() != before  # a locale file (or module) edited
    assert cache.digest("a", ["b", "c"]) != cache.digest("a", ["b"], "c")
    assert cache.digest(b"x") != cache.digest("x")
    with pytest.raises(TypeError):
        cache.digest(object())


def test_a_preview_on_the_real_clock_rebuilds_when_a_notice_is_due(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    monkeypatch.delenv("PORTAL_NOW", raising=False)
    monkeypatch.setenv("PORTAL_CACHE_DIR", str(tmp_path / "cache"))
    portal = Portal(tmp_path)
    tz = ZoneInfo("Asia/Shanghai")
    due = (datetime.now(tz) + timedelta(minutes=3)).replace(second=0, microsecond=0)
    (portal.content / "notices" / f"{due:%Y}").mkdir(exist_ok=True)
    (portal.content / "notices" / f"{due:%Y}" / f"{due:%Y-%m-%d}-soon.md").write_text(
        f"---\ntitle: 即将发布\ndate: {due:%Y-%m-%d %H:%M}\ncategory: 温馨提示\n"
        f"department: 客服中心\n---\n正文。\n", encoding="utf-8")
    config = load_config(str(portal.config), site_dir=str(tmp_path / "site"))
    try:
        config.plugins.on_startup(command="serve", dirty=True)
        plugin = config.plugins["portal"]
        build(config, serve_url=SERVE_URL, dirty=True)
        preview = plugin.preview
        preview.clock_file.parent.mkdir(parents=True, exist_ok=True)  # as on_serve does
        build(load_config(str(portal.config), site_dir=str(tmp_path / "site")),
              serve_url=SERVE_URL, dirty=True)
        assert preview.timer is not None
        wait = (due - datetime.now(tz)).total_seconds() + 1
        assert abs(preview.timer.interval - wait) < 5
        preview.timer.cancel()
        preview.timer.function()  # what the timer does when the time comes
        assert preview.clock_file.read_text(encoding="utf-8") == due.isoformat()
    finally:
        plugin.search.wait()
        config.plugins.on_startup(command="build", dirty=False)
