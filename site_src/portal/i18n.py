"""The portal's own interface strings: one catalogue per language, one file per feature.

locales/<language>/*.yml are merged into the catalogue of that language; keys are
prefixed by feature ("notices.expired"), so files never overlap.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "zh"  # the portal's language when mkdocs.yml's theme names none


def site_language(theme_language: object = None) -> str:
    """The language a site is built in: `theme.language` of mkdocs.yml, else DEFAULT."""
    return str(theme_language or DEFAULT)


@cache
def catalogue(language: str) -> dict[str, str]:
    folder = LOCALES / language
    if not folder.is_dir():
        folder = LOCALES / "en"
    data: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        clash = set(part) & set(data)
        if clash:
            raise ValueError(f"{path}: keys defined in another file too: {sorted(clash)}")
        data.update(part)
    return data


def languages() -> list[str]:
    return sorted(p.name for p in LOCALES.iterdir() if p.is_dir())


class Translator:
    """`t("key", n=3)` looks a string up and fills its {placeholders}."""

    def __init__(self, language: str | None = None) -> None:
        base = site_language(language).split("-")[0].split("_")[0].lower()
        self.language = base if (LOCALES / base).is_dir() else "en"
        self._strings = catalogue(self.language)

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Every string under `prefix`, without it (for the browser's scripts)."""
        return {k[len(prefix):]: v for k, v in self._strings.items() if k.startswith(prefix)}

    def __call__(self, key: str, **values: object) -> str:
        try:
            text = self._strings[key]
        except KeyError:
            raise KeyError(f"interface string {key!r} is missing from locales/{self.language}/") from None
        return text.format(**values) if values else text
