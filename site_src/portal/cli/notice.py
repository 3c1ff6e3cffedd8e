"""`portal-notice new`: write a correctly named notice with valid front matter.

It writes into the content folder the build reads (mkdocs.yml's plugins.portal.content_dir)
and checks buildings against that folder's community.yml.

Asks for whatever is not given on the command line, checks the answers with the same
schema the build uses, and prints the path of the new file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from portal_contracts.files import when as parse_when

from ..community import Community
from ..errors import from_pydantic
from ..features.notices.model import FILE_NAME, LEVELS, NoticeMeta
from ..options import OptionInvalid, Options

EXIT_OK, EXIT_INVALID, EXIT_EXISTS = 0, 1, 3


def _ask(prompt: str, default: str | None, reader: Callable[[str], str]) -> str:
    suffix = f" [{default}]" if default else ""
    answer = reader(f"{prompt}{suffix}: ").strip()
    return answer or (default or "")


def render(meta: dict[str, Any], body: str) -> str:
    """Front matter in the order staff read it; strings quoted only where YAML needs it."""
    lines = ["---"]
    for key in ("title", "date", "expires", "category", "level", "pinned", "buildings",
                "department", "summary"):
        value = meta.get(key)
        if value in (None, "", [], False) and key not in ("level",):
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = "[" + ", ".join(value) + "]"
        else:
            text = str(value)
            if any(ch in text for ch in ":#[]{}'\"") or text != text.strip():
                text = json.dumps(text, ensure_ascii=False)
        lines.append(f"{key}: {text}")
    return "\n".join([*lines, "---", body.rstrip() + "\n"])


def main(argv: list[str] | None = None, reader: Callable[[str], str] = input) -> int:
    parser = argparse.ArgumentParser(
        prog="portal-notice",
        description="Write a new notice under <content>/notices/ with valid front matter "
                    "(<content>: plugins.portal.content_dir in mkdocs.yml, default content). "
                    "Anything not given as an option is asked for.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="write a new notice")
    new.add_argument("--root", type=Path, default=Path("."), help="portal folder (has mkdocs.yml)")
    new.add_argument("--title")
    new.add_argument("--category", help="e.g. 停水停电")
    new.add_argument("--date", help="publish date-time, e.g. '2026-05-01 09:00' (default now)")
    new.add_argument("--expires", help="optional, e.g. '2026-05-02 18:00'; 'none' for no expiry")
    new.add_argument("--level", choices=LEVELS)
    new.add_argument("--buildings", help="comma-separated, e.g. '3栋,4栋'; 'all' for everyone")
    new.add_argument("--department", help="issuing department, e.g. 工程部")
    new.add_argument("--name", help="English short name for the file, e.g. water-cut")
    new.add_argument("--yes", action="store_true", help="ask nothing; fail if a field is missing")
    args = parser.parse_args(argv)

    root: Path = args.root
    options = Options.from_mkdocs_yml(root)
    content = root / options.content_dir  # as the build reads it (absolute stays absolute)
    categories = options.notice_categories
    try:
        tz = options.zone()
    except OptionInvalid as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    try:
        community = Community.model_validate(
            yaml.safe_load((content / "community.yml").read_text(encoding="utf-8")))
        buildings, departments = list(community.buildings), list(community.departments)
    except (OSError, ValidationError, yaml.YAMLError):
        buildings, departments = [], []

    def value(name: str, prompt: str, default: str | None = None) -> str:
        given = getattr(args, name)
        if given is not None:
            return str(given)
        if args.yes:
            return default or ""
        return _ask(prompt, default, reader)

    now = datetime.now(tz).strftime("%Y-%m-%d %H:%M")
    names = list(categories.values())
    title = value("title", "标题 Title")
    category = value("category", "类别 Category (" + " / ".join(names) + ")", names[0])
    date = value("date", "发布时间 Publish at", now)
    expires = value("expires", "有效期至 Expires (blank: never)", "")
    level = value("level", "级别 Level (normal / important / urgent)", "normal")
    bl = value("buildings", "涉及楼栋 Buildings (comma-separated; blank: all)"
               + (f" e.g. {buildings[0]}" if buildings else ""), "")
    department = value("department", "发布部门 Department", "客服中心")
    slug_default = {n: s for s, n in categories.items()}.get(category, "notice")
    name = value("name", "文件名 English short name", slug_default)

    meta: dict[str, Any] = {
        "title": title, "date": date, "category": category, "level": level,
        "department": department,
        "buildings": [b.strip() for b in bl.replace("，", ",").split(",")
                      if b.strip() and bl.strip() != "all"],
    }
    if expires and expires.lower() != "none":
        meta["expires"] = expires
    try:
        checked = NoticeMeta.model_validate(
            meta, context={"categories": categories, "buildings": buildings,
                           "departments": departments})
    except ValidationError as exc:
        for err in from_pydantic("new notice", exc):
            print(err, file=sys.stderr)
        return EXIT_INVALID
    day = parse_when(checked.date).strftime("%Y-%m-%d")
    file_name = f"{day}-{name}.md"
    if not FILE_NAME.match(file_name):
        print(f"new notice: name: expected lower-case letters, digits and '-', found {name!r}",
              file=sys.stderr)
        return EXIT_INVALID
    path = content / "notices" / day[:4] / file_name
    if path.exists():
        print(f"{path}: already exists; choose another --name", file=sys.stderr)
        return EXIT_EXISTS
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "（在这里写通知正文：时间、地点、影响范围、需要业主做什么、咨询电话。）"
    path.write_text(render(meta, body), encoding="utf-8")
    print(path)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
