"""Site search: Pagefind's chunked static index, built over the finished site.

Pagefind (the extended binary, which segments Chinese) reads every built page, indexes
what is inside `data-pagefind-body` (the page content, never the header, navigation or
footer) and writes `pagefind/`: a small entry file, the WebAssembly search, and the index
in gzipped chunks the browser fetches only for the words it looks up.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BUNDLE = "pagefind"
# Pagefind's own interfaces; the portal's search box uses the JS API (pagefind.js) only.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")

class SearchIndexFailed(RuntimeError):
    """Pagefind stopped; the message is what it printed."""

def executable() -> Path:
    """The extended Pagefind binary (shipped in the pagefind-bin-extended wheel)."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())

def build_index(site_dir: Path) -> None:
    """Index the built site into `site_dir/pagefind/` (replacing any older bundle)."""
    out = site_dir / BUNDLE
    if out.exists():
        shutil.rmtree(out)
    done = subprocess.run([str(executable()), "--site", str(site_dir), "--output-subdir", BUNDLE,
                           "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (out / "pagefind.js").is_file():
        raise SearchIndexFailed(f"Pagefind could not index {site_dir}:\n{done.stdout}{done.stderr}")
    for name in UNUSED:
        (out / name).unlink(missing_ok=True)
