"""Published by itself: the build reports the next moment the clock changes the site, the
next run is scheduled then, and a build that fails reports the lines it printed, which the
status file carries to the editor. (The runs against AWS are in test_deploy.py.)"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import publishing  # scripts/publishing.py
import pytest

import deploy  # scripts/deploy.py
from conftest import FIXED_NOW, MINIMAL_COMMUNITY, ROOT, site_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
BIN = Path(sys.executable).parent


def notice(date: str, expires: str | None = None, **fields: str) -> str:
    meta = {"title": "停水通知", "date": date, "category": "停水停电", "level": "normal",
            "department": "物业服务中心", **({"expires": expires} if expires else {}), **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in meta.items()) + "---\n正文。\n"


def fixture_config(base: Path, files: dict[str, str], now: str = FIXED_NOW) -> Path:
    content = base / "content"
    content.mkdir(parents=True)
    (content / "community.yml").write_text(MINIMAL_COMMUNITY.replace(
        "buildings:", "departments: [物业服务中心]\nbuildings:"), encoding="utf-8")
    for rel, text in files.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    return site_config(base, content, base / "site", now)


def build(config: Path) -> deploy.Built:
    return deploy.build_site("https://api.example.cn", "https://portal.example.cn",
                             config.parent / "built", config_file=config)


# --- the build knows the next change ----------------------------------------------------------

@pytest.mark.parametrize(("files", "expected"), [
    # a notice scheduled for tomorrow morning, another current until the evening after
    ({"notices/2026/2026-11-24-water.md": notice("2026-11-24 09:00"),
      "notices/2026/2026-11-20-lift.md": notice("2026-11-20 09:00", "2026-11-25 18:00")},
     datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)),
    # the current one expires first
    ({"notices/2026/2026-11-24-water.md": notice("2026-11-24 09:00"),
      "notices/2026/2026-11-20-lift.md": notice("2026-11-20 09:00", "2026-11-23 18:30")},
     datetime(2026, 11, 23, 18, 30, tzinfo=SHANGHAI)),
    # nothing ahead: an old notice, long expired
    ({"notices/2026/2026-01-20-lift.md": notice("2026-01-20 09:00", "2026-01-25 18:00")}, None),
])
def test_the_build_reports_when_the_clock_next_changes_the_site(
        tmp_path: Path, files: dict[str, str], expected: datetime | None) -> None:
    built = build(fixture_config(tmp_path, files))
    assert built.next_change == expected
    if expected is not None:
        assert built.next_change is not None and built.next_change.utcoffset() == timedelta(hours=8)
    # and the deploy keeps it beside the site, not in it
    publishing.write_next_change(tmp_path / publishing.NEXT_CHANGE_FILE, built.next_change)
    text = (tmp_path / publishing.NEXT_CHANGE_FILE).read_text(encoding="utf-8")
    assert text == (expected.isoformat() if expected else "") + "\n"
    assert not (built.site / publishing.NEXT_CHANGE_FILE).exists()


# --- a build that fails: the lines it prints ------------------------------------------------

def printed_by_mkdocs(config: Path) -> list[str]:
    """What `mkdocs build` prints about why it stopped: its warnings and errors (with the
    lines that continue them), without their log levels and the closing 'Aborted with'."""
    proc = subprocess.run([str(BIN / "mkdocs"), "build", "-f", str(config)],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines, level = [], ""
    for line in (proc.stdout + proc.stderr).splitlines():
        head = re.match(r"^(DEBUG|INFO|WARNING|ERROR)\s+-\s+", line)
        if head:
            level, line = head.group(1), line[head.end():]
        elif not line.startswith(" "):
            level = ""  # not a log line (Abort's own message)
        if level in ("WARNING", "ERROR") and line.strip():
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize(("files", "expected"), [
    # a content error: the file, the field, what was expected and what was found
    ({"notices/2026/2026-03-01-lift.md": notice("2026-03-01 09:00", "2026-02-01 09:00")},
     ["1 problem in the portal content:",
      "content/notices/2026/2026-03-01-lift.md: expires: expected a date after 'date' "
      "(2026-03-01 09:00), found 2026-02-01 09:00"]),
    ({"notices/2026/2026-03-01-lift.md": notice("2026-03-01 09:00", level="loud")},
     ["1 problem in the portal content:",
      "content/notices/2026/2026-03-01-lift.md: level: expected one of 'normal', 'important' or "
      "'urgent', found 'loud'"]),
    # a warning the strict build refuses: a link to a page that does not exist
    ({"handbook/test.md": "---\ntitle: 测试\norder: 1\nsummary: 摘要\n---\n\n见[此页](nope.md)。\n"},
     ["Doc file 'handbook/test.md' contains a link 'nope.md', but the target 'handbook/nope.md' "
      "is not found among documentation files."]),
])
def test_a_build_that_fails_reports_the_lines_it_printed(
        tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    config = fixture_config(tmp_path, files)
    with pytest.raises(deploy.BuildFailed) as failed:
        build(config)
    assert failed.value.problems == printed_by_mkdocs(config)
    assert failed.value.problems == expected


def test_the_build_log_keeps_lines_as_printed_without_their_indentation() -> None:
    printed = io.StringIO()
    log = publishing.BuildLog(stream=printed)
    with log.listening("portal-test"):
        logging.getLogger("portal-test").info("not kept: below WARNING")
        logging.getLogger("portal-test").error("2 problems:\n  a.md: x: expected y, found z\n\n"
                                               "  b.md: y: expected z, found w")
    logging.getLogger("portal-test").error("after: not kept")
    assert log.lines == ["2 problems:", "a.md: x: expected y, found z",
                         "b.md: y: expected z, found w"]
    assert printed.getvalue() == ("2 problems:\n  a.md: x: expected y, found z\n\n"
                                  "  b.md: y: expected z, found w\n")


# --- the status file -------------------------------------------------------------------------

def test_the_status_file_names_no_one() -> None:
    failed = publishing.Status(datetime(2026, 11, 23, 9, 5, 7, tzinfo=SHANGHAI), "abc123", False,
                               ("content/x.md: level: expected one of 'normal', found 'loud'",))
    assert json.loads(failed.to_json()) == {
        "time": "2026-11-23T01:05:07Z", "commit": "abc123", "ok": False,
        "problems": ["content/x.md: level: expected one of 'normal', found 'loud'"]}
    ok = publishing.Status(datetime(2026, 11, 23, 1, 5, tzinfo=UTC), "abc123", True)
    assert json.loads(ok.to_json())["problems"] == []


def test_the_status_file_sits_beside_the_editor_page() -> None:
    from portal.features.editor import BASE

    assert f"{BASE}/status.json" == publishing.STATUS_KEY
    html = (ROOT / "site_src" / "portal" / "templates" / "portal" / "editor.html").read_text()
    assert '<script src="../../assets/javascripts/editor-status.js" defer></script>' in html
    script = (ROOT / "site_src" / "pages" / "assets" / "javascripts" / "editor-status.js").read_text()
    assert 'fetch("status.json"' in script and "60 * 1000" in script


# --- when the next run starts --------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC)  # 09:00:30 in Shanghai


@pytest.mark.parametrize(("change", "expected"), [
    (None, None),
    # a change at a whole minute: the run starts then
    (datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)),
    # between minutes: the next whole minute, never before the change
    (datetime(2026, 11, 24, 9, 0, 1, tzinfo=SHANGHAI), datetime(2026, 11, 24, 9, 1, tzinfo=SHANGHAI)),
    # a change already due (or due while this run ran): a minute from now, at the whole minute
    (datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI), datetime(2026, 11, 23, 1, 2, tzinfo=UTC)),
    (datetime(2026, 11, 23, 9, 1, tzinfo=SHANGHAI), datetime(2026, 11, 23, 1, 2, tzinfo=UTC)),
])
def test_the_next_run_starts_at_the_change(change: datetime | None, expected: datetime | None
                                           ) -> None:
    assert publishing.next_run(change, NOW) == expected


def value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_the_schedule_is_a_one_time_schedule_in_the_portals_time_zone() -> None:
    when = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    args = publishing.schedule_args("community-portal-prod", when, "Asia/Shanghai",
                                    "arn:aws:events:ap-east-1:1:event-bus/b", "arn:aws:iam::1:role/s",
                                    NOW)
    assert value(args, "--schedule-expression") == "at(2026-11-24T09:00:00)"
    assert value(args, "--schedule-expression-timezone") == "Asia/Shanghai"
    assert value(args, "--state") == "ENABLED"
    assert json.loads(value(args, "--flexible-time-window")) == {"Mode": "OFF"}
    assert value(args, "--action-after-completion") == "NONE"  # kept, to be moved next time
    assert value(args, "--name") == publishing.SCHEDULE_NAME
    target = json.loads(value(args, "--target"))
    assert target["EventBridgeParameters"] == {"DetailType": publishing.EVENT_DETAIL_TYPE,
                                               "Source": publishing.EVENT_SOURCE}
    assert json.loads(target["Input"]) == {"change": "2026-11-24T01:00:00+00:00"}
    # nothing due: the schedule waits, disabled, until a run has something to set
    idle = publishing.schedule_args("g", None, "Asia/Shanghai", "bus", "role", NOW)
    assert value(idle, "--state") == "DISABLED"
