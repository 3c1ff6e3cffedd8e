"""The portal's own interface strings, one catalogue per language (locales/*.yml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "zh"


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.yml"
    if not path.is_file():
        path = LOCALES / "en.yml"
    data: dict[str, str] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.yml"))


class Translator:
    """`t("key", n=3)` looks a string up and fills its {placeholders}."""

    def __init__(self, language: str) -> None:
        base = language.split("-")[0].split("_")[0].lower()
        self.language = base if (LOCALES / f"{base}.yml").is_file() else "en"
        self._strings = catalogue(self.language)

    def __call__(self, key: str, **values: object) -> str:
        try:
            text = self._strings[key]
        except KeyError:
            raise KeyError(f"interface string {key!r} is missing from locales/{self.language}.yml") from None
        return text.format(**values) if values else text
