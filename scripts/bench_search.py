"""Benchmark: site search on Pagefind against today's jieba/lunr index (Material's search plugin).

Generates sites with N notices (the bench_notices generator: Chinese text, five paragraphs
each; one notice in seven is in the category 停水停电), builds each twice:

- pagefind: the portal as it is (Pagefind extended indexes the built site at the end);
- lunr (baseline): the same content with Material's `search` plugin (jieba, the old
  separator) and the old `add_to_search_index` that appended the generated pages,
  segmented with jieba, to search/search_index.json;

then serves each built site on 127.0.0.1 and, in real Chromium at 360 px with the CPU
throttled 4x (CDP Emulation.setCPUThrottlingRate), loads the home page, opens the search,
types 停水 at once and waits for the first result in the DOM. It counts the gzip bytes
fetched until then (Pagefind's .pf_* chunks and its wasm are gzipped already; every other
file is counted gzip-compressed, as a server or CDN would send it).

    .venv/bin/python scripts/bench_search.py                      # 1,000 2,000 5,000; lunr at 1,000 2,000
    .venv/bin/python scripts/bench_search.py --sizes 200 --lunr-sizes 200
    .venv/bin/python scripts/bench_search.py --sizes 2000 --lunr-sizes 2000 --repeat 3

Prints one table. Exit code 0 when the targets hold (5,000 notices: first result <= 1.5 s
after typing with <= 300 KiB gzip of search files; full build at 2,000 no slower than
lunr), 1 when one is missed, 2 when a build fails.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_notices import full_build_env, notices, portal_site

ROOT = Path(__file__).resolve().parent.parent
QUERY = "停水"
# Today's configuration (mkdocs.yml before Pagefind).
LUNR_SEPARATOR = "[\\s\\u200b\\-，。、；：！？（）]+"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]

# Runs one `mkdocs build` in a fresh interpreter and reports the time of the whole build
# and of the search index in it. For the baseline it restores the old post-build step.
RUNNER = r"""
import json, sys, time
mode, config_file = sys.argv[1], sys.argv[2]
spent = {"index": 0.0}

def timed(fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent["index"] += time.perf_counter() - t
    return wrapper

t0 = time.perf_counter()
from mkdocs.commands.build import build
from mkdocs.config import load_config
import portal.plugin as plugin
import portal.search as search

if mode == "pagefind":
    search.Indexer.wait = timed(search.Indexer.wait)
else:
    import re
    from pathlib import Path
    from markupsafe import escape
    from material.plugins.search.plugin import SearchPlugin
    from portal.shell import Shells, Written, add_to_sitemap, write_pages

    HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

    def segment(text):
        import jieba
        return HAN.sub(lambda m: "\u200b" + "\u200b".join(jieba.cut(m.group(0), HMM=False))
                       + "\u200b", text).strip("\u200b")

    @timed
    def add_to_search_index(site_dir, pages):  # the code this change removed from shell.py
        path = site_dir / "search" / "search_index.json"
        index = json.loads(path.read_text(encoding="utf-8"))
        for page in pages:
            if page.search_text is not None:
                index["docs"].append({"location": page.url, "title": segment(page.title),
                                      "text": segment(str(escape(page.search_text)))})
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")

    def on_post_build(self, *, config):
        site_dir = Path(config.site_dir)
        write_pages(Shells(config, self.nav, self.files, self.env), self.light, site_dir, Written())
        add_to_search_index(site_dir, self.light)
        add_to_sitemap(site_dir, config.site_url or "", self.light)

    class NoIndexer:  # no Pagefind in today's build
        def __init__(self, *a, **k): pass
        def cancel(self): pass
        def add_page(self, *a): pass

    on_post_build.mkdocs_priority = -100
    plugin.PortalPlugin.on_post_build = on_post_build
    search.Indexer = NoIndexer
    SearchPlugin.on_page_context = timed(SearchPlugin.on_page_context)
    SearchPlugin.on_post_build = timed(SearchPlugin.on_post_build)

build(load_config(config_file))
print(json.dumps({"build": time.perf_counter() - t0, "index": spent["index"]}))
"""


def lunr_config(pagefind_config: Path, base: Path) -> Path:
    """Today's configuration on the same content: Material's search, its header and box."""
    cfg = yaml.safe_load(pagefind_config.read_text(encoding="utf-8"))
    overrides = base / "overrides"
    shutil.copytree(ROOT / "site_src" / "overrides", overrides)
    for name in ("header.html", "search.html"):  # Material's own header and search box
        (overrides / "partials" / name).unlink()
    cfg["theme"]["custom_dir"] = str(overrides)
    cfg["theme"]["features"] = [*cfg["theme"]["features"], "search.highlight", "search.suggest"]
    cfg["plugins"] = [{"search": {"separator": LUNR_SEPARATOR}}, *cfg["plugins"]]
    cfg.pop("extra_javascript", None)
    cfg["site_dir"] = str(base / "site")
    path = base / "mkdocs.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def build(mode: str, config: Path) -> dict[str, float]:
    with full_build_env() as env:
        out = subprocess.run([sys.executable, "-c", RUNNER, mode, str(config)], env=env,
                             capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(2)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def index_bytes(site: Path, mode: str) -> tuple[int, int]:
    """(bytes on disk, gzip bytes) of the whole search index."""
    if mode == "pagefind":
        files = [p for p in (site / "pagefind").rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files), sum(gzip_size(p) for p in files)
    path = site / "search" / "search_index.json"
    return path.stat().st_size, gzip_size(path)


def gzip_size(path: Path) -> int:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # Pagefind's chunks and wasm are served gzipped as they are
        return len(data)
    return len(gzip.compress(data, compresslevel=6))


class _Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves the site and notes every file it sent (the page's, its workers' and all)."""

    sent: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        super().do_GET()
        self.sent.append(urlparse(self.path).path)


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, list[str]]]:
    sent: list[str] = []
    handler = type("Handler", (_Recorder,), {"sent": sent})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", sent
    finally:
        httpd.shutdown()
        httpd.server_close()


def is_search_file(path: str) -> bool:
    return path.startswith(("/pagefind/", "/search/", "/assets/javascripts/workers/",
                            "/assets/javascripts/lunr/", "/assets/javascripts/search.js"))


FIRST = """
window.__first = null;
new MutationObserver(() => {
  if (window.__first === null && document.querySelector('.md-search-result__link')) {
    window.__first = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
"""


def first_result(browser: Any, url: str, sent: list[str], site: Path, wait: float,
                 retype: bool) -> dict[str, Any]:
    """Home page at 360 px, CPU / 4; open search, type 停水 at once, wait for a result.

    With `retype` the user presses a key every 250 ms until an answer comes (Material
    searches on keyup), which measures when today's index is ready at all.
    """
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    try:
        page = ctx.new_page()
        page.add_init_script(FIRST)
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        sent.clear()
        page.goto(url)
        page.locator("label.md-header__button[for=__search]").click()
        page.wait_for_function(
            "document.activeElement && document.activeElement.matches('.md-search__input')")
        typed_at = page.evaluate("performance.now()")
        page.keyboard.type(QUERY)
        deadline = time.monotonic() + wait
        while not page.query_selector(".md-search-result__link") and time.monotonic() < deadline:
            if retype:
                page.keyboard.press("End")
            page.wait_for_timeout(250 if retype else 20)
        first = page.evaluate("window.__first")
        fetched = list(sent)
        total = search = 0
        for path in fetched:
            file = site / path.lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                continue
            size = gzip_size(file)
            total += size
            if is_search_file(path):
                search += size
        return {"after_typing": (first - typed_at) / 1000 if first else None,
                "from_navigation": first / 1000 if first else None, "total_kib": total / 1024,
                "search_kib": search / 1024, "requests": len(fetched)}
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--lunr-sizes", type=int, nargs="*", default=[1000, 2000])
    parser.add_argument("--repeat", type=int, default=1,
                        help="builds per site; the fastest is kept (this machine may be shared)")
    parser.add_argument("--lost-after", type=float, default=15.0,
                        help="seconds without an answer after which a typed query counts as lost")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for n in sorted(set(args.sizes) | set(args.lunr_sizes)):
            items = notices(n)
            base = Path(tmp) / f"n{n}"
            (base / "pagefind").mkdir(parents=True)
            pf_config = portal_site(base / "pagefind", items)
            modes = [m for m, sizes in (("pagefind", args.sizes), ("lunr", args.lunr_sizes)) if n in sizes]
            for mode in modes:
                config = pf_config
                if mode == "lunr":
                    (base / "lunr").mkdir()
                    config = lunr_config(pf_config, base / "lunr")
                times = min((build(mode, config) for _ in range(args.repeat)),
                            key=lambda t: t["build"])
                site = Path(yaml.safe_load(config.read_text(encoding="utf-8"))["site_dir"])
                disk, gz = index_bytes(site, mode)
                with serve(site) as (url, sent):
                    hit = first_result(browser, url, sent, site, args.lost_after, retype=False)
                    answered = hit["after_typing"] is not None
                    if not answered:  # today's box lost the query: when does it answer at all?
                        hit = first_result(browser, url, sent, site, 120, retype=True)
                rows.append({"n": n, "mode": mode, **times, "disk": disk, "gz": gz, **hit,
                             "answered": answered})
                print(f"  {mode} {n}: build {times['build']:.1f} s, first result "
                      f"{hit['after_typing']} s", file=sys.stderr)
                shutil.rmtree(site)
        browser.close()

    print(f"\nQuery {QUERY!r}; Chromium at 360 px, CPU throttled 4x; local server; cache disabled.")
    print("| notices | search | full `mkdocs build` (s) | build waiting for the index (s) "
          "| index on disk (MiB) | index gzip (KiB) | answered as typed | first result after typing (s) "
          "| from navigation (s) | gzip fetched before it: search files (KiB) | all files (KiB) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        after = f"{r['after_typing']:.2f}" if r["after_typing"] is not None else "never"
        nav = f"{r['from_navigation']:.2f}" if r["from_navigation"] is not None else "never"
        if not r["answered"]:
            after += " (retyping every 250 ms)"
        print(f"| {r['n']:,} | {'Pagefind' if r['mode'] == 'pagefind' else 'lunr (today)'} "
              f"| {r['build']:.2f} | {r['index']:.2f} | {r['disk'] / 2**20:.1f} | {r['gz'] / 1024:.0f} "
              f"| {'yes' if r['answered'] else 'NO'} | {after} | {nav} | {r['search_kib']:.0f} "
              f"| {r['total_kib']:.0f} |")

    ok = True
    print("\n| target | measured | holds |\n| --- | ---: | --- |")
    by = {(r["mode"], r["n"]): r for r in rows}
    big = by.get(("pagefind", 5000))
    if big:
        t, kib = big["after_typing"], big["search_kib"]
        holds = big["answered"] and t is not None and t <= 1.5
        ok &= holds
        print(f"| 5,000 notices: first result <= 1.5 s | {t:.2f} s | {'yes' if holds else 'NO'} |")
        holds = kib <= 300
        ok &= holds
        print(f"| 5,000 notices: search files fetched <= 300 KiB gzip | {kib:.0f} KiB "
              f"| {'yes' if holds else 'NO'} |")
        print(f"| (5,000 notices: all files fetched, page included) | {big['total_kib']:.0f} KiB | |")
    new, old = by.get(("pagefind", 2000)), by.get(("lunr", 2000))
    if new and old:
        holds = new["build"] <= old["build"]
        ok &= holds
        print(f"| 2,000 notices: full build no slower than today | {new['build']:.2f} s vs "
              f"{old['build']:.2f} s | {'yes' if holds else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
