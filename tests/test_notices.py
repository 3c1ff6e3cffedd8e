"""Staff publish notices as Markdown; owners see them where it matters, at the right time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml

from conftest import MINIMAL_COMMUNITY, BuildFailed, BuildFixture, Site, build_site, site_config

NOW = "2026-11-23T09:00:00"


def notice(title: str = "停水通知", date: str = "2026-11-01", *, category: str = "停水停电",
           body: str = "请提前储水。", **fields: Any) -> str:
    lines = [f"title: {title}", f"date: {date}", f"category: {category}", "department: 工程部"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def titles(html: str) -> list[str]:
    items = html.split('class="portal-notice-list"', 1)
    if len(items) < 2:
        return []
    return re.findall(r'<li class="portal-notice-item[^"]*">\s*<a href="[^"]+">([^<]+)</a>',
                      items[1].split("</ul>", 1)[0])


@pytest.fixture
def timeline(fixture_site: BuildFixture) -> Site:
    """A scheduled, an expired, a current urgent, a pinned and two ordinary notices."""
    return fixture_site({
        "notices/2026/2026-12-20-fees-2027.md": notice("2027年物业费缴纳通知", "2026-12-20",
                                                       category="缴费通知"),
        "notices/2026/2026-10-10-lift.md": notice("2栋电梯维保", "2026-10-10 09:00",
                                                  category="维修养护", expires="2026-10-12",
                                                  buildings="[2栋]"),
        "notices/2026/2026-11-23-burst-pipe.md": notice(
            "今晚3栋紧急停水", "2026-11-23 07:30", level="urgent", expires="2026-11-24 06:00",
            buildings="[3栋]"),
        "notices/2025/2025-03-01-renovation.md": notice("装修管理规定", "2025-03-01",
                                                        category="管理规定", pinned="true"),
        "notices/2026/2026-11-20-fire-drill.md": notice("消防演练通知", "2026-11-20",
                                                        category="安全提示", level="important"),
        "notices/2026/2026-11-05-pest.md": notice("小区消杀通知", "2026-11-05",
                                                  category="温馨提示"),
    }, now=NOW)


def test_a_notice_dated_in_the_future_is_not_published(timeline: Site) -> None:
    assert not timeline.exists("notices/2026/12/fees-2027/")
    assert "2027年物业费缴纳通知" not in timeline.page("notices/")
    assert "2027年物业费缴纳通知" not in timeline.page("notices/archive/2026/12/") \
        if timeline.exists("notices/archive/2026/12/") else True
    assert "2027年物业费缴纳通知" not in (timeline.root / "notices" / "rss.xml").read_text()


def test_scheduled_notice_appears_once_its_date_has_come(fixture_site: BuildFixture) -> None:
    site = fixture_site({"notices/2026/2026-12-20-fees-2027.md": notice(
        "2027年物业费缴纳通知", "2026-12-20", category="缴费通知")}, now="2026-12-20T00:00:00")
    assert site.exists("notices/2026/12/fees-2027/")


def test_expired_notice_leaves_current_lists_but_stays_in_the_archive(timeline: Site) -> None:
    assert "2栋电梯维保" not in titles(timeline.page("notices/"))
    assert "2栋电梯维保" not in titles(timeline.page("notices/category/maintenance/"))
    assert "2栋电梯维保" not in titles(timeline.page("notices/building/2/"))
    assert "2栋电梯维保" not in timeline.page("")
    archive = timeline.page("notices/archive/2026/10/")
    assert titles(archive) == ["2栋电梯维保"]
    assert "portal-notice-item--expired" in archive and "已过期" in archive
    page = timeline.page("notices/2026/10/lift/")
    assert "portal-badge--expired" in page


def test_index_puts_urgent_and_pinned_first_then_newest(timeline: Site) -> None:
    assert titles(timeline.page("notices/")) == [
        "今晚3栋紧急停水", "装修管理规定", "消防演练通知", "小区消杀通知"]


def test_home_page_shows_the_urgent_notice_before_anything_else(timeline: Site) -> None:
    home = timeline.page("")
    alerts = home.index('id="portal-alerts-title"')
    assert alerts < home.index('id="portal-hotline-title"')
    section = home[alerts:].split("</section>", 1)[0]
    assert titles(section) == ["今晚3栋紧急停水", "消防演练通知"]
    latest = home.split('id="portal-latest-title"', 1)[1].split("</section>", 1)[0]
    assert titles(latest) == ["小区消杀通知", "装修管理规定"]


def test_category_pages_list_current_notices_of_that_category(timeline: Site) -> None:
    assert titles(timeline.page("notices/category/safety/")) == ["消防演练通知"]
    assert titles(timeline.page("notices/category/fees/")) == []
    assert "目前没有通知" in timeline.page("notices/category/fees/")


def test_building_view_shows_its_notices_and_those_for_everyone(timeline: Site) -> None:
    assert titles(timeline.page("notices/building/3/")) == [
        "今晚3栋紧急停水", "装修管理规定", "消防演练通知", "小区消杀通知"]
    assert "今晚3栋紧急停水" not in titles(timeline.page("notices/building/1/"))
    # plain links: works without JavaScript
    assert re.search(r'<a href="\.\./3/"[^>]*>3栋</a>', timeline.page("notices/building/1/"))


def test_monthly_archive_lists_months_newest_first(timeline: Site) -> None:
    months = re.findall(r'<a href="(\d{4}/\d{2})/">(\d{4}-\d{2})</a>', timeline.page("notices/archive/"))
    assert [m[1] for m in months] == ["2026-11", "2026-10", "2025-03"]


def test_notice_page_shows_everything_an_owner_needs(timeline: Site) -> None:
    html = timeline.page("notices/2026/11/burst-pipe/")
    assert "今晚3栋紧急停水</h1>" in html
    assert 'portal-badge--urgent">紧急</span>' in html
    assert "2026年11月23日 07:30" in html and "2026年11月24日 06:00" in html
    assert "<dd>3栋</dd>" in html and "<dd>工程部</dd>" in html
    assert 'href="../../../category/outage/">停水停电</a>' in html
    assert re.search(r'<a rel="next" href="\.\./\.\./\.\./2026/11/[a-z-]+/"', html) is None
    assert 'rel="prev" href="../fire-drill/"' in html


def test_notices_stay_out_of_the_global_navigation(timeline: Site) -> None:
    for url in ("", "notices/", "notices/2026/11/pest/"):
        links = re.findall(r'class="md-(?:nav|tabs)__link[^"]*"[^>]*>([^<]*)<', timeline.page(url))
        nav = [text.strip() for text in links if text.strip()]
        assert "通知公告" in nav or url == "notices/2026/11/pest/"
        assert "小区消杀通知" not in nav and "消防演练通知" not in nav


def day(i: int) -> str:
    """The i-th day from 2026-08-01 (i from 1), for notices one a day."""
    from datetime import date, timedelta

    return (date(2026, 7, 31) + timedelta(days=i)).isoformat()


def pagination(html: str) -> list[str]:
    """The pagination's entries as text: numbers, '…', and the current one in brackets."""
    nav = html.split('class="portal-pagination"', 1)[1].split("</nav>", 1)[0]
    return [f"[{m[1]}]" if m[0] else m[1] or "…" for m in re.findall(
        r'<(?:span|a)( aria-current="page")?[^>]*>([^<]*)</(?:span|a)>', nav)]


def test_older_list_pages_are_numbered_from_the_oldest(fixture_site: BuildFixture) -> None:
    """65 notices, one pinned: pages 1 and 2 hold the oldest 40, twenty each, newest first;
    the first page the newest 25 under the pinned one."""
    files = {f"notices/2026/{day(i)}-n{i}.md": notice(f"通知{i}", day(i)) for i in range(1, 66)}
    files["notices/2026/2026-08-03-n3.md"] = notice("通知3", day(3), pinned="true")
    site = fixture_site(files, now=NOW)
    first = site.page("notices/")
    assert titles(first) == ["通知3"] + [f"通知{i}" for i in range(65, 40, -1)]
    assert titles(site.page("notices/page/2/")) == [f"通知{i}" for i in range(40, 20, -1)]
    assert titles(site.page("notices/page/1/")) == [f"通知{i}" for i in range(20, 0, -1)]
    assert not site.exists("notices/page/3/")
    # 上一页 is newer, 下一页 older; the first page is 最新通知 in the pagination
    assert pagination(first) == ["[最新通知]", "2", "1", "下一页"]
    assert '<a rel="next" href="page/2/"' in first and '<a rel="prev"' not in first
    second = site.page("notices/page/2/")
    assert pagination(second) == ["上一页", "最新通知", "[2]", "1", "下一页"]
    assert 'rel="prev" href="../../"' in second and 'rel="next" href="../1/"' in second
    assert "<title>通知公告（第 2 页）" in second
    assert pagination(site.page("notices/page/1/")) == ["上一页", "最新通知", "2", "[1]"]


def site_with(base: Path, files: dict[str, str], **options: Any) -> Site:
    """A fixture site built with these options of the portal plugin."""
    content = base / "content"
    for rel, text in {"community.yml": MINIMAL_COMMUNITY, **files}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    config = site_config(base, content, base / "site", NOW)
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    for plugin in cfg["plugins"]:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"].update(options)
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return build_site(config)


def test_a_long_list_links_a_window_of_pages(tmp_path: Path) -> None:
    """Page numbers near this one, the first and the oldest page: a short row on a phone."""
    files = {f"notices/2026/{day(i)}-n{i}.md": notice(f"通知{i}", day(i)) for i in range(1, 31)}
    site = site_with(tmp_path, files, notices_per_page=2)
    assert pagination(site.page("notices/page/7/")) == [
        "上一页", "最新通知", "…", "9", "8", "[7]", "6", "5", "…", "1", "下一页"]
    assert pagination(site.page("notices/")) == ["[最新通知]", "14", "13", "…", "1", "下一页"]


def test_attachments_are_copied_beside_the_notice(fixture_site: BuildFixture, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "content" / "notices" / "2026").mkdir(parents=True)
    (tmp_path / "content" / "notices" / "2026" / "plan.pdf").write_bytes(b"%PDF-1.4 test")
    site = fixture_site({"notices/2026/2026-11-01-plan.md": notice(attachments="[plan.pdf]")},
                        now=NOW)
    assert (site.root / "notices/2026/11/plan/plan.pdf").read_bytes() == b"%PDF-1.4 test"
    assert '<a href="plan.pdf" download>plan.pdf</a>' in site.page("notices/2026/11/plan/")


def test_an_attachment_may_have_a_chinese_name(fixture_site: BuildFixture, tmp_path: Path) -> None:
    """As an uploaded file keeps it in the editor (停水安排.pdf)."""
    (tmp_path / "content" / "notices" / "2026").mkdir(parents=True)
    (tmp_path / "content" / "notices" / "2026" / "停水安排.pdf").write_bytes(b"%PDF-1.4 test")
    site = fixture_site({"notices/2026/2026-11-01-plan.md": notice(attachments="[停水安排.pdf]")},
                        now=NOW)
    assert (site.root / "notices/2026/11/plan/停水安排.pdf").read_bytes() == b"%PDF-1.4 test"
    assert "停水安排.pdf</a>" in site.page("notices/2026/11/plan/")


@pytest.mark.parametrize("feed", ["rss.xml", "atom.xml"])
def test_feeds_parse_with_absolute_links(timeline: Site, feed: str) -> None:
    parsed = feedparser.parse((timeline.root / "notices" / feed).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    links = [e.link for e in parsed.entries]
    assert links[0] == "https://portal.jinguiyuan.example.cn/notices/2026/11/burst-pipe/"
    assert len(links) == 5  # every published notice, newest first, none scheduled
    assert all(link.startswith("https://portal.jinguiyuan.example.cn/notices/") for link in links)
    assert parsed.entries[0].title == "[紧急] 今晚3栋紧急停水"
    assert parsed.entries[0].tags[0].term == "停水停电"


def test_category_feed_holds_only_that_category(timeline: Site) -> None:
    parsed = feedparser.parse((timeline.root / "notices/category/safety/rss.xml").read_bytes())
    assert [e.title for e in parsed.entries] == ["[重要] 消防演练通知"]


def test_json_feed(timeline: Site) -> None:
    import json

    feed = json.loads((timeline.root / "notices" / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["items"][0]["url"].endswith("/notices/2026/11/burst-pipe/")


def test_qr_code_is_in_the_page_for_printing(timeline: Site) -> None:
    html = timeline.page("notices/2026/11/burst-pipe/")
    qr = html.split('<figure class="portal-qr">', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in qr
    assert "<title>https://portal.jinguiyuan.example.cn/notices/2026/11/burst-pipe/</title>" in qr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("2026-11-01-cut.md", notice(category="停电"),
         "content/notices/2026/2026-11-01-cut.md: category: expected one of '停水停电', '维修养护', "
         "'安全提示', '温馨提示', '社区活动', '缴费通知', '管理规定', found '停电'"),
        ("2026-11-01-cut.md", notice(expires="2026-10-01"),
         "content/notices/2026/2026-11-01-cut.md: expires: expected a date after 'date' (2026-11-01), "
         "found 2026-10-01"),
        ("2026-11-01-cut.md", notice(level="critical"),
         "content/notices/2026/2026-11-01-cut.md: level: expected one of 'normal', 'important' or "
         "'urgent', found 'critical'"),
        ("2026-11-01-cut.md", notice(buildings="[11栋]"),
         "content/notices/2026/2026-11-01-cut.md: buildings: expected buildings listed in "
         "content/community.yml (1栋, 2栋, 3栋), found '11栋'"),
        ("2026-11-01-cut.md", notice(date="2026-11-31"),
         "content/notices/2026/2026-11-01-cut.md: date: expected a date such as 2026-05-01 or a "
         "date and time such as 2026-05-01 09:00 (a real calendar date), found '2026-11-31'"),
        ("2026-11-02-cut.md", notice(),
         "content/notices/2026/2026-11-02-cut.md: date: expected the date in the file name "
         "(2026-11-02), found 2026-11-01"),
        ("cut.md", notice(),
         "content/notices/2026/cut.md: (file name): expected YYYY-MM-DD-name.md with lower-case "
         "letters, digits and '-' (e.g. 2026-05-01-water-cut.md), found 'cut.md'"),
        ("2026-11-01-cut.md", notice(attachments="[plan.pdf]"),
         "content/notices/2026/2026-11-01-cut.md: attachments: expected a file 'plan.pdf' beside "
         "the notice, found no such file"),
        ("2026-11-01-cut.md", notice(pinned="maybe"),
         "content/notices/2026/2026-11-01-cut.md: pinned: expected true or false, found 'maybe'"),
        ("2026-11-01-cut.md", notice().replace("department: 工程部\n", ""),
         "content/notices/2026/2026-11-01-cut.md: department: expected a value (this field is "
         "required), found nothing"),
    ],
    ids=["category", "expires-before-date", "level", "building", "impossible-date",
         "name-date-mismatch", "file-name", "attachment", "pinned", "department"],
)
def test_invalid_notice(fixture_site: BuildFixture, name: str, text: str, message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({f"notices/2026/{name}": text}, now=NOW)
    assert f"  {message}" in str(caught.value).splitlines()


def test_all_notice_errors_at_once(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({
            "notices/2026/2026-11-01-a.md": notice(category="x", level="y"),
            "notices/2026/2026-11-02-b.md": notice(date="2026-11-02", expires="2026-11-01"),
        }, now=NOW)
    assert str(caught.value).splitlines()[0] == "3 problems in the portal content:"


def rendered(content: Path, **options: Any) -> dict[str, str]:
    """Every page and file the portal makes of `content`, by address, without a build."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from portal.features import all_features
    from portal.i18n import Translator
    from portal.options import Options
    from portal.pipeline import BuildContext, LightPage, load, template_env

    tz = ZoneInfo("Asia/Shanghai")
    ctx = BuildContext(content_dir=content, site_url="http://127.0.0.1:8000/",
                       now=datetime.fromisoformat(NOW).replace(tzinfo=tz), tz=tz,
                       t=Translator("zh"), env=template_env(), options=Options(**options))
    return {out.url if isinstance(out, LightPage) else out.path:
            out.html if isinstance(out, LightPage) else str(out.content)
            for out in load(ctx, all_features()).render()}


def write(content: Path, files: dict[str, str]) -> None:
    for rel, text in {"community.yml": MINIMAL_COMMUNITY, **files}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")


LIST = re.compile(r"notices/index\.md|notices/((category|building)/[^/]+/)?(page/\d+/)?")


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {url for url in before.keys() & after.keys() if before[url] != after[url]}


def test_a_new_notice_changes_only_the_first_page_of_each_list_it_is_on(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write(content, {f"notices/2026/{day(i)}-n{i}.md": notice(
        f"通知{i}", day(i), category=["停水停电", "温馨提示"][i % 2],
        **({"buildings": "[3栋]"} if i % 3 == 0 else {})) for i in range(1, 66)})
    before = rendered(content)
    write(content, {"notices/2026/2026-11-20-new.md": notice("新通知", "2026-11-20",
                                                             buildings="[2栋]")})
    after = rendered(content)
    lists = {url for url in after if LIST.fullmatch(url)}
    assert sorted(changed(before, after) & lists) == [
        "notices/building/2/", "notices/category/outage/", "notices/index.md"]
    assert any("/page/" in url for url in lists)  # older pages there are, and stayed


def test_when_a_new_page_appears_only_pages_near_the_newest_change(tmp_path: Path) -> None:
    """14 older pages of two; two more notices make a 15th: its pagination links the
    newest pages, so pages 12 to 14 change with it; 1 to 11 stay as they were."""
    content = tmp_path / "content"
    write(content, {f"notices/2026/{day(i)}-n{i}.md": notice(f"通知{i}", day(i))
                    for i in range(1, 31)})
    before = rendered(content, notices_per_page=2)
    write(content, {f"notices/2026/{day(i)}-n{i}.md": notice(f"通知{i}", day(i))
                    for i in (31, 32)})
    after = rendered(content, notices_per_page=2)
    pages = {url for url in after if url.startswith("notices/page/")}
    assert pages - before.keys() == {"notices/page/15/"}
    assert changed(before, after) & pages == {f"notices/page/{k}/" for k in (12, 13, 14)}
