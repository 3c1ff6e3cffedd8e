"""Staff scaffold a notice with `portal-notice new`; the file it writes builds and shows up."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import MINIMAL_COMMUNITY, ROOT, BuildFixture
from portal.cli.notice import EXIT_EXISTS, EXIT_INVALID, main


@pytest.fixture
def portal_root(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


def answers(*values: str) -> Iterator[str]:
    yield from values


def test_interactive_answers_write_a_valid_notice_that_builds(
        portal_root: Path, fixture_site: BuildFixture, capsys: pytest.CaptureFixture[str]) -> None:
    replies = answers("3栋停水通知", "停水停电", "2026-11-20 08:00", "2026-11-21 18:00", "important",
                      "3栋", "工程部", "water-cut")
    assert main(["new", "--root", str(portal_root)], reader=lambda _prompt: next(replies)) == 0
    path = portal_root / "content/notices/2026/2026-11-20-water-cut.md"
    assert capsys.readouterr().out.strip() == str(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 3栋停水通知\ndate: \"2026-11-20 08:00\"\n")
    site = fixture_site({"notices/2026/2026-11-20-water-cut.md": text})
    page = site.page("notices/2026/11/water-cut/")
    assert "3栋停水通知</h1>" in page and "<dd>3栋</dd>" in page


def test_options_without_prompts(portal_root: Path) -> None:
    code = main(["new", "--root", str(portal_root), "--yes", "--title", "消杀通知",
                 "--category", "温馨提示", "--date", "2026-06-01", "--department", "环境部"])
    assert code == 0
    text = (portal_root / "content/notices/2026/2026-06-01-reminder.md").read_text(encoding="utf-8")
    assert "category: 温馨提示" in text and "level: normal" in text


def test_invalid_answers_are_refused_with_the_field(portal_root: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["new", "--root", str(portal_root), "--yes", "--title", "通知",
                 "--category", "停电", "--date", "2026-06-01", "--buildings", "99栋"])
    assert code == EXIT_INVALID
    err = capsys.readouterr().err
    assert "new notice: category: expected one of '停水停电'" in err
    assert "new notice: buildings: expected buildings listed in content/community.yml" in err
    assert not (portal_root / "content" / "notices").exists()


def test_an_existing_file_is_never_overwritten(portal_root: Path) -> None:
    args = ["new", "--root", str(portal_root), "--yes", "--title", "通知", "--category",
            "温馨提示", "--date", "2026-06-01", "--name", "same"]
    assert main(args) == 0
    assert main(args) == EXIT_EXISTS


def test_console_command_is_installed_and_explains_itself() -> None:
    out = subprocess.run([str(ROOT / ".venv/bin/portal-notice"), "new", "--help"],
                         capture_output=True, text=True, check=True)
    assert "--category" in out.stdout and "--expires" in out.stdout


def test_the_configured_content_folder_is_used(tmp_path: Path) -> None:
    """mkdocs.yml's plugins.portal.content_dir: the notice goes where the build reads it,
    and its buildings are checked against that folder's community file."""
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"]["content_dir"] = "site-content"
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True),
                                         encoding="utf-8")
    (tmp_path / "site-content").mkdir()
    (tmp_path / "site-content" / "community.yml").write_text(MINIMAL_COMMUNITY, encoding="utf-8")
    args = ["new", "--root", str(tmp_path), "--yes", "--title", "3栋停水", "--category",
            "停水停电", "--date", "2026-06-01", "--name", "water"]
    assert main([*args, "--buildings", "9栋"]) == EXIT_INVALID  # not in site-content's community
    assert main([*args, "--buildings", "3栋"]) == 0
    assert (tmp_path / "site-content/notices/2026/2026-06-01-water.md").is_file()
    assert not (tmp_path / "content").exists()


def test_a_wrong_time_zone_is_refused_naming_the_option(
        portal_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = portal_root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "timezone: Asia/Shanghai", "timezone: Mars/Olympus"), encoding="utf-8")
    code = main(["new", "--root", str(portal_root), "--yes", "--title", "通知",
                 "--category", "温馨提示", "--date", "2026-06-01"])
    assert code == EXIT_INVALID
    assert capsys.readouterr().err.strip() == (
        "mkdocs.yml: plugins.portal.timezone: expected an IANA time zone such as "
        "'Asia/Shanghai', found 'Mars/Olympus'")
