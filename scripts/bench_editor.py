"""Benchmark: from a publish in the content editor to the live preview (issue 20, part 5).

For each size it generates a community (the bench_notices generator), runs the local stack's
editor parts as `scripts/serve.sh` does — `mkdocs serve --dirty` on the checkout's content,
decap-server in git mode on a repository of its own, the publisher that copies what is
published into content/ — and measures, through decap-server's own API (the calls the
editor makes: save a draft on its branch, publish it):

- publish to listed: a new notice published until the preview's notices list shows it;
- publish to visible: an edit of an existing notice published until its page shows it;

against the baseline in the same run, a full `mkdocs build` with an empty cache, and the
preview's own figure for a file saved on disk (the same change written straight into
content/). Target: what the editor adds to the preview's own figure is under a second
(the publisher polls the repository every 0.3 s), and publish to listed <= 0.1x a full build.

    .venv/bin/python scripts/bench_editor.py                  # 2,000 notices
    .venv/bin/python scripts/bench_editor.py --sizes 500 --edits 2

Exit code 0 when the targets hold, 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_notices import notices, portal_site
from bench_preview import Preview, free_port, get, mkdocs_build, notice_files, until, url_of

from portal_staff import devstack
from portal_staff.editor_local import Publisher, prepare


class DecapServer:
    """decap-server's API as the editor calls it."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1"

    def call(self, action: str, **params: object) -> object:
        body = json.dumps({"action": action, "params": {"branch": "main", **params}}).encode()
        request = urllib.request.Request(self.url, data=body,
                                         headers={"Content-Type": "application/json"})
        for attempt in range(3):  # decap-server gives up on its lock after 3 s (a busy machine)
            try:
                with urllib.request.urlopen(request, timeout=60) as r:
                    return json.loads(r.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code != 500 or attempt == 2:
                    raise
                print(f"  decap-server answered 500 to {action}; again", file=sys.stderr)
                time.sleep(1.0)
        return None

    def draft(self, slug: str, path: str, raw: str) -> None:
        self.call("persistEntry", dataFiles=[{"path": path, "slug": slug, "raw": raw}], assets=[],
                  options={"collectionName": "notices", "commitMessage": f"修改 notices：{slug}",
                           "useWorkflow": True, "status": "pending_publish"})

    def publish(self, slug: str) -> None:
        self.call("publishUnpublishedEntry", collection="notices", slug=slug)


def measure(n: int, edits: int, tmp: Path) -> dict[str, float]:
    base = tmp / f"site-{n}"
    base.mkdir()
    config = portal_site(base, notices(n))
    content = base / "content"
    row: dict[str, float] = {"full": mkdocs_build(config, tmp / f"cache-{n}-full")}
    print(f"  {n:,}: full build {row['full']:.2f} s", file=sys.stderr)
    repo = tmp / f"repo-{n}"
    prepare(repo, content)
    port = free_port()
    server = devstack.start_decap_server(port, repo, "http://127.0.0.1")
    publisher = Publisher(repo, content).start()
    preview = Preview(config, tmp / f"cache-{n}-serve", free_port())
    api = DecapServer(port)
    try:
        files = notice_files(content)
        on_disk, published = [], []
        for k in range(edits):
            # the preview's own figure: the same kind of change saved straight into content/
            path = files[len(files) * (k + 1) // (edits + 2)]
            marker = f"磁盘改动{k}x{time.time_ns()}"
            path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{marker}\n",
                            encoding="utf-8")
            on_disk.append(until(lambda p=path, m=marker: m in get(preview.base + url_of(p)),
                                 "edit on disk"))
            time.sleep(1.0)
            # through the editor: a draft saved on its branch, then published
            path = files[len(files) * (k + 1) // (edits + 2) + 1]
            rel = path.relative_to(content.parent).as_posix()
            slug = path.relative_to(content / "notices").with_suffix("").as_posix()
            marker = f"编辑器改动{k}x{time.time_ns()}"
            api.draft(slug, rel, (repo / rel).read_text(encoding="utf-8").rstrip("\n")
                      + f"\n\n{marker}\n")
            t0 = time.perf_counter()
            api.publish(slug)
            until(lambda p=path, m=marker: m in get(preview.base + url_of(p)), "published edit")
            published.append(time.perf_counter() - t0)
            time.sleep(1.0)
        row["disk_edit"], row["publish_edit"] = statistics.median(on_disk), statistics.median(published)
        print(f"  {n:,}: on disk {', '.join(f'{t:.2f}' for t in on_disk)} s; published "
              f"{', '.join(f'{t:.2f}' for t in published)} s", file=sys.stderr)

        title = f"编辑器新通知{time.time_ns()}"
        slug = "2026/2026-11-23-bench-editor-new"
        api.draft(slug, f"{content.name}/notices/{slug}.md",
                  f"---\ntitle: {title}\ndate: 2026-11-23 08:30\ncategory: 停水停电\n"
                  f"department: 工程部\n---\n明天上午九点停水。\n")
        t0 = time.perf_counter()
        api.publish(slug)
        until(lambda: title in get(preview.base + "notices/"), "published notice")
        row["publish_new"] = time.perf_counter() - t0
    finally:
        preview.stop()
        publisher.stop()
        devstack.stop(server)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000], metavar="N",
                        help="numbers of notices, one site each (default: 2000)")
    parser.add_argument("--edits", type=int, default=3, help="edits measured each way (median)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-editor-"))
    try:
        rows = {n: measure(n, args.edits, tmp) for n in args.sizes}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| notices | full build (baseline) | edit saved on disk | edit published in the editor "
          "| added by the editor | new notice published to listed |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    for n, r in rows.items():
        added = r["publish_edit"] - r["disk_edit"]
        ok &= added < 1.0 and r["publish_new"] <= 0.1 * r["full"]
        print(f"| {n:,} | {r['full']:.2f} s | {r['disk_edit']:.2f} s | {r['publish_edit']:.2f} s "
              f"| {added:+.2f} s | {r['publish_new']:.2f} s ({r['publish_new'] / r['full']:.2f}x) |")
    print(f"targets (editor adds < 1 s; new notice <= 0.1x full build): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
