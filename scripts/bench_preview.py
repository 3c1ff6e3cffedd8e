"""Benchmark: what staff wait for, at 2,000 and 5,000 notices (issue 15).

For each size it generates a community (the bench_notices generator: Chinese text, five
paragraphs a notice, spread over six years) and measures, on this machine:

- full build: `mkdocs build` with an empty content cache (the best of --repeat);
- no-change build: `mkdocs build` again, with the cache the full build left;
- serve start: the README's run command's site part (`mkdocs serve --dirty`) until it
  answers, with an empty cache and with the cache kept from before;
- edit to visible: a notice's text changed on disk until its page, fetched over HTTP
  from the running preview, shows the change (the median of --edits notices);
- new notice listed: a new notice file until the notices list shows it;
- no-change rebuild: a save that changes nothing, until the preview has rebuilt;
- search updated: after the new notice, until the preview's search bundle is replaced.

then compares against the baseline in the same run, the full build: edit <= 0.1x,
new notice <= 0.1x (issue 19; it was 0.2x while a new notice moved every list page),
no-change build <= 0.3x, and, given two sizes or more, full build largest / smallest
<= 2.6.

    .venv/bin/python scripts/bench_preview.py                 # 2,000 and 5,000
    .venv/bin/python scripts/bench_preview.py --sizes 2000    # one size
    .venv/bin/python scripts/bench_preview.py --sizes 500 1000 --repeat 1 --edits 3

Exit code 0 when every target holds, 1 when one is missed, 2 when a build fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_notices import notices, portal_site

MKDOCS = str(Path(sys.executable).with_name("mkdocs"))


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PORTAL_CACHE_DIR": str(cache)}


def mkdocs_build(config: Path, cache: Path) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([MKDOCS, "build", "-q", "-f", str(config)], env=_env(cache),
                         capture_output=True, text=True, check=False)
    spent = time.perf_counter() - t0
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(2)
    return spent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body: str = r.read().decode("utf-8", "replace")
            return body
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def until(check: Callable[[], bool], what: str, timeout: float = 300) -> float:
    """Seconds until `check()` holds (polled every 20 ms)."""
    t0 = time.perf_counter()
    while not check():
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"{what}: nothing after {timeout} s")
        time.sleep(0.02)
    return time.perf_counter() - t0


class Preview:
    """`mkdocs serve --dirty` as scripts/serve.sh runs it, timed from its start."""

    def __init__(self, config: Path, cache: Path, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log = (config.parent / "serve.log").open("wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [MKDOCS, "serve", "--livereload", "--dirty", "--dev-addr", f"127.0.0.1:{self.port}",
             "-f", str(config)], env=_env(cache), stdout=self.log, stderr=subprocess.STDOUT)
        until(lambda: "通知公告" in get(self.base), "serve start")
        self.started = time.perf_counter() - t0

    def builds(self) -> int:
        """Rebuilds finished so far. (Not MkDocs' "Documentation built in 0.31 seconds":
        its command line drops a message it has logged before, so a rebuild as fast as an
        earlier one went unseen, and a run once waited 300 s for a rebuild that was done.)"""
        return (Path(self.log.name).read_text(encoding="utf-8", errors="replace")
                .count("Reloading browsers"))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def notice_files(content: Path) -> list[Path]:
    return sorted((content / "notices").rglob("*.md"))


def url_of(path: Path) -> str:
    year, month = path.name[:4], path.name[5:7]
    return f"notices/{year}/{month}/{path.name[11:-3]}/"


def measure(n: int, repeat: int, edits: int, tmp: Path) -> dict[str, float]:
    base = tmp / f"site-{n}"
    base.mkdir()
    config = portal_site(base, notices(n))
    content = base / "content"
    row: dict[str, float] = {}

    fulls, warm = [], []
    for i in range(repeat):
        cache = tmp / f"cache-{n}-{i}"
        fulls.append(mkdocs_build(config, cache))
        warm.append(mkdocs_build(config, cache))
        shutil.rmtree(cache)
    row["full"], row["nochange_build"] = min(fulls), min(warm)
    print(f"  {n:,}: full build {row['full']:.2f} s, again {row['nochange_build']:.2f} s",
          file=sys.stderr)

    cache = tmp / f"cache-{n}-serve"
    port = free_port()  # the same address both times: pages hold the preview's address
    cold = Preview(config, cache, port)
    row["serve_cold"] = cold.started
    print(f"  {n:,}: serve start {cold.started:.2f} s", file=sys.stderr)
    cold.stop()
    preview = Preview(config, cache, port)
    row["serve_warm"] = preview.started
    try:
        files = notice_files(content)
        times = []
        for k in range(edits):
            path = files[len(files) * (k + 1) // (edits + 1)]
            marker = f"改动标记{k}x{time.time_ns()}"
            text = path.read_text(encoding="utf-8")
            path.write_text(text.rstrip("\n") + f"\n\n{marker}\n", encoding="utf-8")
            times.append(until(lambda p=path, m=marker: m in get(preview.base + url_of(p)),
                               f"edit of {path.name}"))
            time.sleep(0.5)
        row["edit"] = statistics.median(times)
        print(f"  {n:,}: edits {', '.join(f'{t:.2f}' for t in times)} s", file=sys.stderr)

        builds = preview.builds()
        path = files[len(files) // 2]
        path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # saved, unchanged
        row["nochange_rebuild"] = until(lambda: preview.builds() > builds, "no-change save")
        time.sleep(0.5)

        entry = get(preview.base + "pagefind/pagefind-entry.json")
        new = content / "notices" / "2026" / "2026-11-23-bench-new.md"
        new.parent.mkdir(exist_ok=True)
        title = f"新通知{time.time_ns()}"
        new.write_text(f"---\ntitle: {title}\ndate: 2026-11-23 08:30\ncategory: 停水停电\n"
                       f"department: 工程部\n---\n明天上午九点停水。\n", encoding="utf-8")
        t0 = time.perf_counter()
        row["new_listed"] = until(lambda: title in get(preview.base + "notices/"), "new notice")
        until(lambda: get(preview.base + "pagefind/pagefind-entry.json") not in ("", entry),
              "search update")
        row["search_updated"] = time.perf_counter() - t0
        new.unlink()
        time.sleep(1)
    finally:
        preview.stop()
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000], metavar="N",
                        help="numbers of notices, one site each (default: 2000 5000)")
    parser.add_argument("--repeat", type=int, default=2, help="full builds per size; best kept")
    parser.add_argument("--edits", type=int, default=5, help="notices edited per size")
    args = parser.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
        for n in args.sizes:
            rows[n] = measure(n, args.repeat, args.edits, Path(tmp))

    cols = [("full", "full build (baseline)"), ("nochange_build", "no-change build"),
            ("serve_cold", "serve start, empty cache"), ("serve_warm", "serve start, cache kept"),
            ("edit", "edit to visible"), ("new_listed", "new notice listed"),
            ("nochange_rebuild", "no-change rebuild"), ("search_updated", "search updated")]
    print("\n| notices | " + " | ".join(label for _, label in cols) + " |")
    print("| ---: |" + " ---: |" * len(cols))
    for n, r in rows.items():
        print(f"| {n:,} | " + " | ".join(
            f"{r[k]:.2f} s" + (f" ({r[k] / r['full']:.2f}x)" if k != "full" else "")
            for k, _ in cols) + " |")
    checks = []
    for n, r in rows.items():
        checks += [(f"{n:,}: edit visible <= 0.1x full build", r["edit"] / r["full"], 0.1),
                   (f"{n:,}: new notice listed <= 0.1x full build", r["new_listed"] / r["full"], 0.1),
                   (f"{n:,}: no-change build <= 0.3x full build",
                    r["nochange_build"] / r["full"], 0.3)]
    small, large = min(rows), max(rows)
    if small != large:
        checks.append((f"full build {large:,} / {small:,} <= 2.6",
                       rows[large]["full"] / rows[small]["full"], 2.6))
    print("\n| target | measured | holds |\n| --- | ---: | --- |")
    ok = True
    for name, value, limit in checks:
        ok = ok and value <= limit
        print(f"| {name} | {value:.2f} | {'yes' if value <= limit else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
