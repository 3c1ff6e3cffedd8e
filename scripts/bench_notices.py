"""Benchmark: build synthetic communities with many notices, against Material's blog plugin.

Generates N notices (Chinese text, five paragraphs each), builds them with the portal,
and in the same run builds the same notices as a plain mkdocs-material site with the
built-in blog plugin (the baseline). Prints wall time and peak memory of each build and
checks the targets: portal(1,000) <= 0.5 x baseline(1,000); portal(2,000) / portal(1,000)
<= 2.05 (linear growth).

    .venv/bin/python scripts/bench_notices.py            # 1,000 and 2,000 notices
    .venv/bin/python scripts/bench_notices.py --sizes 200 400 --repeat 1

Exit code 0 when every target holds, 1 when one is missed, 2 when a build fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["停水停电", "维修养护", "安全提示", "温馨提示", "社区活动", "缴费通知", "管理规定"]
PHRASES = [
    "为保障小区供水安全", "工程部将对二次供水设备进行检修", "请各位业主提前做好储水准备",
    "检修期间电梯暂停使用", "如有不便敬请谅解", "客服中心二十四小时受理报修", "请勿在楼道堆放杂物",
    "冬季气温较低请注意防寒防冻", "物业费按建筑面积每月每平方米二点五元收取", "消防通道严禁停放车辆",
    "装修施工时间为工作日上午八点至十二点", "垃圾分类投放请按照标识进行", "台风来临前请关好门窗",
    "高温天气请减少午后外出", "社区将于周末举办邻里活动", "欢迎老人和儿童踊跃参加",
]
RUNNER = """
import json, resource, sys, time
t0 = time.perf_counter()
from mkdocs.commands.build import build
from mkdocs.config import load_config
build(load_config(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def paragraphs(rng: random.Random) -> str:
    out = []
    for _ in range(5):
        out.append("，".join(rng.choice(PHRASES) for _ in range(rng.randint(5, 8))) + "。")
    return "\n\n".join(out)


def notices(n: int) -> list[dict[str, object]]:
    rng = random.Random(n)
    start = datetime(2020, 1, 1, 8, 0)
    items = []
    for i in range(n):
        when = start + timedelta(hours=int(i * 52560 / n))  # spread over six years
        items.append({"i": i, "when": when, "category": CATEGORIES[i % len(CATEGORIES)],
                      "title": f"关于{rng.choice(PHRASES)[:10]}的通知（{i}）",
                      "body": paragraphs(rng)})
    return items


def portal_site(base: Path, items: list[dict[str, object]]) -> Path:
    content = base / "content"
    shutil.copy(ROOT / "content" / "community.yml", content.parent / "community.tmp")
    (content / "notices").mkdir(parents=True)
    shutil.move(str(content.parent / "community.tmp"), content / "community.yml")
    for it in items:
        when: datetime = it["when"]  # type: ignore[assignment]
        folder = content / "notices" / f"{when:%Y}"
        folder.mkdir(exist_ok=True)
        (folder / f"{when:%Y-%m-%d}-n{it['i']}.md").write_text(
            f"---\ntitle: {it['title']}\ndate: {when:%Y-%m-%d %H:%M}\ncategory: {it['category']}\n"
            f"department: 客服中心\n---\n{it['body']}\n", encoding="utf-8")
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    cfg["docs_dir"] = str(ROOT / "site_src" / "pages")
    cfg["theme"]["custom_dir"] = str(ROOT / "site_src" / "overrides")
    cfg["site_dir"] = str(base / "site")
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"]["content_dir"] = str(content)
            plugin["portal"]["now"] = "2026-11-23T09:00:00"
    path = base / "mkdocs.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def blog_site(base: Path, items: list[dict[str, object]]) -> Path:
    """The same notices as posts of Material's built-in blog plugin, same theme and search."""
    docs = base / "docs"
    posts = docs / "blog" / "posts"
    posts.mkdir(parents=True)
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    (docs / "blog" / "index.md").write_text("# 通知公告\n", encoding="utf-8")
    for it in items:
        when: datetime = it["when"]  # type: ignore[assignment]
        (posts / f"n{it['i']}.md").write_text(
            f"---\ndate: {when:%Y-%m-%d}\ncategories:\n  - {it['category']}\n---\n"
            f"# {it['title']}\n\n{it['body']}\n", encoding="utf-8")
    base_cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    theme = {k: v for k, v in base_cfg["theme"].items() if k not in ("custom_dir", "favicon")}
    # Material's search as the portal had it before Pagefind (jieba-segmented lunr index).
    search = {"search": {"separator": "[\\s\\u200b\\-，。、；：！？（）]+"}}
    cfg = {
        "site_name": "baseline", "site_url": base_cfg["site_url"], "docs_dir": str(docs),
        "site_dir": str(base / "site"), "theme": theme,
        "plugins": [search, {"blog": {"blog_dir": "blog", "post_url_format": "{date}/{file}",
                                      "pagination_per_page": 20}}],
        "markdown_extensions": base_cfg["markdown_extensions"],
    }
    path = base / "mkdocs.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def full_build_env() -> Iterator[dict[str, str]]:
    """The environment of a full build: a new, empty content cache, removed afterwards
    (else each run after the first would reuse what the first made)."""
    cache = tempfile.mkdtemp(prefix="bench-cache-")
    try:
        yield {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PORTAL_CACHE_DIR": cache}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def run(config: Path) -> dict[str, float]:
    with full_build_env() as env:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", RUNNER, str(config)], env=env,
                             capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(2)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 2000], metavar=("N", "2N"))
    parser.add_argument("--repeat", type=int, default=2, help="builds per case; the best is kept")
    args = parser.parse_args(argv)

    rows: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as tmp:
        for n in args.sizes:
            items = notices(n)
            for name, make in (("portal", portal_site), ("baseline: Material blog", blog_site)):
                base = Path(tmp) / f"{name.split(':')[0]}-{n}"
                base.mkdir()
                config = make(base, items)
                best: dict[str, float] | None = None
                for _ in range(args.repeat):
                    r = run(config)
                    if best is None or r["wall"] < best["wall"]:
                        best = r
                assert best is not None
                rows[(name, n)] = best
                print(f"  built {name} with {n} notices: {best['wall']:.1f} s", file=sys.stderr)

    small, large = args.sizes
    print("\n| site | notices | wall time (s) | build time in-process (s) | peak memory (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (name, n), r in rows.items():
        print(f"| {name} | {n:,} | {r['wall']:.2f} | {r['seconds']:.2f} | {r['peak_mib']:.0f} |")
    ratio = rows[("portal", small)]["wall"] / rows[("baseline: Material blog", small)]["wall"]
    growth = rows[("portal", large)]["wall"] / rows[("portal", small)]["wall"]
    base_growth = (rows[("baseline: Material blog", large)]["wall"]
                   / rows[("baseline: Material blog", small)]["wall"])
    ok_ratio, ok_growth = ratio <= 0.5, growth <= 2.05
    print("\n| target | measured | holds |\n| --- | ---: | --- |")
    print(f"| portal / baseline at {small:,} <= 0.5 | {ratio:.2f} | {'yes' if ok_ratio else 'NO'} |")
    print(f"| portal {large:,} / {small:,} <= 2.05 | {growth:.2f} | {'yes' if ok_growth else 'NO'} |")
    print(f"| (baseline {large:,} / {small:,}) | {base_growth:.2f} | |")
    return 0 if ok_ratio and ok_growth else 1


if __name__ == "__main__":
    raise SystemExit(main())
