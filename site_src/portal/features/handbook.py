"""Owner handbook (住户手册): Markdown pages in content/handbook/, ordered by front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..content import Loader
from ..pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class HandbookMeta(BaseModel):
    """Front matter of a handbook page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    order: int = Field(ge=0)
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


@dataclass(frozen=True)
class HandbookPage:
    slug: str
    meta: HandbookMeta
    body: str

    @property
    def path(self) -> str:
        return "handbook/index.md" if self.slug == "index" else f"handbook/{self.slug}.md"


class Handbook(Feature):
    key = "handbook"

    def load(self, ctx: BuildContext, loader: Loader) -> list[HandbookPage]:
        folder = ctx.content_dir / "handbook"
        pages: list[HandbookPage] = []
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            if not SLUG.match(path.stem):
                loader.error(path, "(file name)",
                             "lower-case letters, digits and '-' (it becomes the page address)",
                             repr(path.name))
                continue
            parsed = loader.markdown(path)
            if parsed is None:
                continue
            meta = loader.model(path, HandbookMeta, parsed[0])
            if meta is None:
                continue
            if not parsed[1].strip() and path.stem != "index":
                loader.error(path, "(body)", "the page text below the front matter", "nothing")
                continue
            pages.append(HandbookPage(path.stem, meta, parsed[1]))
        pages.sort(key=lambda p: (p.slug != "index", p.meta.order, p.slug))
        return pages

    def render(self, data: list[HandbookPage], ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data:
            return []
        chapters = [p for p in data if p.slug != "index"]
        out: list[OutputFile | LightPage] = [
            OutputFile(p.path, ctx.render("portal/handbook_page.md", page=p))
            for p in chapters
        ]
        intro = data[0] if data[0].slug == "index" else None
        out.append(OutputFile("handbook/index.md", ctx.render(
            "portal/handbook_index.md", intro=intro, chapters=chapters)))
        return out

    def source_url(self, file: str) -> str | None:
        name = file.rsplit("/", 1)[-1]
        if not file.startswith("content/handbook/") or not name.endswith(".md"):
            return None
        slug = name.removesuffix(".md")
        return f"handbook/{slug}/" if SLUG.match(slug) and slug != "index" else None

    def nav(self, data: list[HandbookPage], ctx: BuildContext) -> NavItem | None:
        if not data:
            return None
        children = [NavItem(ctx.t("handbook.contents"), "handbook/index.md")]
        children += [NavItem(p.meta.title, p.path) for p in data if p.slug != "index"]
        return NavItem(ctx.t("nav.handbook"), children=tuple(children))

    def home(self, data: list[HandbookPage], ctx: BuildContext) -> list[HomeBlock]:
        chapters = [p for p in data if p.slug != "index"]
        if not chapters:
            return []
        return [HomeBlock(50, ctx.render("portal/handbook_home.html", chapters=chapters))]
