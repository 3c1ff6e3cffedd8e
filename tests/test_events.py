"""Staff plan the year's activities as YAML; owners browse a month grid, open an event,
add it to their calendar or subscribe to a feed that a second, independent parser reads back."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from conftest import ROOT, BuildFailed, BuildFixture, Site, build_site, site_config

NOW = "2026-11-23T09:00:00"
HOST = "portal.jinguiyuan.example.cn"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def event(title: str = "冬至包饺子", start: str = "2026-12-22 15:00", end: str | None = "2026-12-22 17:00",
          *, category: str = "爱心公益", **fields: Any) -> str:
    """One event file; `fields` are written as YAML lines (values as given)."""
    lines = [f"title: {title}", f"start: {start}"]
    if end is not None:
        lines.append(f"end: {end}")
    lines += ["location: 5栋活动室", f"category: {category}", "organiser: 客服中心"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def cell(html: str, day: str) -> str:
    """The <td> of one day of a month grid."""
    m = re.search(rf'<td class="events-day[^"]*" data-date="{day}"[^>]*>(.*?)</td>', html, re.S)
    assert m, f"no cell for {day}"
    return m.group(0)


def days_with(html: str, title: str) -> list[str]:
    return [d for d, body in re.findall(r'data-date="([\d-]+)"[^>]*>(.*?)</td>', html, re.S)
            if title in body]


def ics(site: Site, path: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical((site.root / path).read_bytes())


def dates(site: Site, path: str, uid: str) -> list[date | datetime]:
    """Occurrence starts of one event, expanded by recurring_ical_events (not by the portal)."""
    cal = ics(site, path)
    found = recurring_ical_events.of(cal).between(date(2025, 1, 1), date(2029, 1, 1))
    return sorted(e.start for e in found if str(e["UID"]) == uid)


@pytest.fixture
def calendar_site(fixture_site: BuildFixture) -> Site:
    """A small year: timed, all-day, multi-day, a London event, a cancelled one, two series."""
    return fixture_site({
        "events/solstice.yml": event(registration="{deadline: 2026-12-20, how: 到客服中心报名, places: 30}",
                                     contact="0571-0000 0000", audience="[老人, 儿童]",
                                     description="'一起**包饺子**。'"),
        "events/volunteer-day.yml": event("志愿者日大扫除", "2026-12-05", None),
        "events/new-year-fair.yml": event("跨年游园", "2026-12-30 09:00", "2027-01-02 17:00",
                                          category="文艺庆典"),
        "events/photo-show.yml": event("摄影展", "2026-12-14", "2026-12-16", category="科教文化"),
        "events/london-talk.yml": event("伦敦连线讲座", "2026-12-01 17:30", "2026-12-01 19:00",
                                        category="科教文化", timezone="Europe/London"),
        "events/movie-night.yml": event("露天电影", "2026-12-12 18:30", "2026-12-12 20:30",
                                        category="文艺庆典", status="cancelled",
                                        note="广场维修，改期另行通知"),
        "events/autumn-gala.yml": event("中秋晚会", "2026-09-25 18:30", "2026-09-25 21:00",
                                        category="文艺庆典"),
        "events/taiji.yml": event("太极拳晨练", "2026-11-07 07:00", "2026-11-07 08:00",
                                  category="健康娱乐",
                                  recurrence="{frequency: weekly, until: 2026-12-26, "
                                             "exclude: [2026-12-19]}"),
        "events/clinic.yml": event("每月义诊", "2026-11-01 09:00", "2026-11-01 11:30",
                                   category="健康娱乐",
                                   recurrence="{frequency: monthly, by: weekday, count: 4, "
                                              "exclude: [2027-01-03]}"),
        "events/recycling.yml": event("旧物回收日", "2026-10-10 09:00", "2026-10-10 11:00",
                                      recurrence="{frequency: monthly, until: 2027-01-10}"),
    }, now=NOW)


# --- month grid ------------------------------------------------------------------------------

def test_an_event_sits_in_the_cell_of_its_day(calendar_site: Site) -> None:
    html = calendar_site.page("events/month/2026/12/")
    assert days_with(html, "冬至包饺子") == ["2026-12-22"]
    assert 'href="../../../solstice/"' in cell(html, "2026-12-22")


def test_timed_events_show_their_hours_all_day_events_say_so(calendar_site: Site) -> None:
    html = calendar_site.page("events/month/2026/12/")
    assert re.search(r"15:00–17:00</span> 冬至包饺子", cell(html, "2026-12-22"))
    assert re.search(r"全天</span> 志愿者日大扫除", cell(html, "2026-12-05"))


def test_multi_day_events_cover_every_day_of_their_span(calendar_site: Site) -> None:
    dec, jan = calendar_site.page("events/month/2026/12/"), calendar_site.page("events/month/2027/01/")
    assert days_with(dec, "跨年游园") == ["2026-12-30", "2026-12-31"]
    assert days_with(jan, "跨年游园") == ["2027-01-01", "2027-01-02"]
    assert "09:00 起</span> 跨年游园" in cell(dec, "2026-12-30")
    assert "全天</span> 跨年游园" in cell(dec, "2026-12-31")
    assert "至 17:00</span> 跨年游园" in cell(jan, "2027-01-02")
    # an all-day span includes its last day and no more
    assert days_with(dec, "摄影展") == ["2026-12-14", "2026-12-15", "2026-12-16"]


def test_an_event_given_in_another_zone_shows_on_the_shanghai_day(calendar_site: Site) -> None:
    # 17:30 in London on 1 December is 01:30 on 2 December in Shanghai.
    html = calendar_site.page("events/month/2026/12/")
    assert days_with(html, "伦敦连线讲座") == ["2026-12-02"]
    assert "01:30–03:00</span> 伦敦连线讲座" in cell(html, "2026-12-02")
    page = calendar_site.page("events/london-talk/")
    assert "2026年12月02日 01:30–03:00" in page
    assert "2026-12-01 17:30–19:00 (Europe/London)" in page
    vevent = next(e for e in ics(calendar_site, "events/calendar.ics").walk("VEVENT")
                  if str(e["UID"]) == f"london-talk@{HOST}")
    assert vevent.decoded("DTSTART") == datetime(2026, 12, 1, 17, 30, tzinfo=ZoneInfo("Europe/London"))
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"


def test_today_is_marked_at_build_time(calendar_site: Site) -> None:
    html = calendar_site.page("events/month/2026/11/")
    assert html.count('aria-current="date"') == 1
    assert 'aria-current="date"' in cell(html, "2026-11-23")
    assert "今天" in cell(html, "2026-11-23")
    assert 'aria-current="date"' not in calendar_site.page("events/month/2026/12/")


def test_month_grid_is_a_table_screen_readers_can_walk(calendar_site: Site) -> None:
    html = calendar_site.page("events/month/2026/12/")
    table = html.split('<table class="events-grid">', 1)[1].split("</table>", 1)[0]
    assert "<caption>2026年12月</caption>" in table
    assert re.findall(r'<th scope="col">([^<]+)</th>', table) == [
        "周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert len(re.findall(r"<tr>", table)) == 1 + 5  # header row and five weeks
    assert cell(html, "2026-12-01").startswith('<td class="events-day" data-date="2026-12-01"')
    # December 2026 starts on a Tuesday: one empty cell before it
    first_week = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert first_week.count("events-day--outside") == 1


def test_months_link_to_the_previous_and_next_month(calendar_site: Site) -> None:
    html = calendar_site.page("events/month/2026/12/")
    assert re.search(r'<a rel="prev" href="\.\./11/">.*?2026年11月', html)
    assert re.search(r'<a rel="next" href="\.\./\.\./2027/01/">2027年1月', html)
    # every month from the first event to the last has a page, none skipped
    assert calendar_site.exists("events/month/2026/09/")
    assert calendar_site.exists("events/month/2026/10/")
    assert not calendar_site.exists("events/month/2026/08/")
    assert 'rel="prev"' not in calendar_site.page("events/month/2026/09/")
    assert 'rel="next"' not in calendar_site.page("events/month/2027/02/")


def test_series_appear_on_every_date_except_the_excluded_ones(calendar_site: Site) -> None:
    dec = calendar_site.page("events/month/2026/12/")
    assert days_with(dec, "太极拳晨练") == ["2026-12-05", "2026-12-12", "2026-12-26"]
    assert days_with(dec, "每月义诊") == ["2026-12-06"]
    assert days_with(calendar_site.page("events/month/2027/01/"), "每月义诊") == []
    assert days_with(calendar_site.page("events/month/2027/02/"), "每月义诊") == ["2027-02-07"]


def test_cancelled_event_stays_in_the_grid_struck_through(calendar_site: Site) -> None:
    html = cell(calendar_site.page("events/month/2026/12/"), "2026-12-12")
    assert "<del>露天电影</del>" in html and "已取消" in html


# --- event pages and lists ------------------------------------------------------------------

def test_event_page_tells_an_owner_everything(calendar_site: Site) -> None:
    html = calendar_site.page("events/solstice/")
    assert "冬至包饺子</h1>" in html
    assert "2026年12月22日 15:00–17:00" in html
    assert "<dd>5栋活动室</dd>" in html and "<dd>老人、儿童</dd>" in html and "<dd>客服中心</dd>" in html
    assert '<a href="tel:057100000000">0571-0000 0000</a>' in html
    assert "需报名，截止 2026年12月20日" in html and "到客服中心报名" in html and "名额 30 人" in html
    assert "一起<strong>包饺子</strong>。" in html
    assert 'href="../category/charity/">爱心公益</a>' in html
    assert '<a class="md-button md-button--primary" href="solstice.ics" download' in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=%E5%86%AC" in html
    assert "dates=20261222T150000%2F20261222T170000&amp;" in html and "&amp;ctz=Asia%2FShanghai" in html
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html
    assert "startdt=2026-12-22T15%3A00%3A00%2B08%3A00" in html
    assert 'href="../month/2026/12/"' in html


def test_cancelled_event_page_is_struck_through_with_the_note(calendar_site: Site) -> None:
    html = calendar_site.page("events/movie-night/")
    assert ('<p class="events-status events-status--cancelled"><strong>已取消</strong>：'
            '广场维修，改期另行通知</p>') in html
    assert re.search(r"<del><time [^>]+>2026年12月12日 18:30–20:30</time></del>", html)
    assert "calendar.google.com" not in html  # nobody should add a cancelled event
    assert 'href="movie-night.ics"' in html  # but those who did can update it


def test_upcoming_list_puts_next_first_and_keeps_cancelled_visible(calendar_site: Site) -> None:
    html = calendar_site.page("events/")
    titles = re.findall(r'<li class="events-item[^"]*">\s*<a href="[^"]+">(?:<del>)?([^<]+)', html)
    assert titles == ["太极拳晨练", "伦敦连线讲座", "志愿者日大扫除", "每月义诊", "旧物回收日",
                      "露天电影", "摄影展", "冬至包饺子", "跨年游园"]
    assert "中秋晚会" not in html
    assert "广场维修，改期另行通知" in html
    assert "下次：<time" in html and "每周六，至 2026年12月26日（2026年12月19日 暂停）" in html


def test_past_events_go_to_the_archive(calendar_site: Site) -> None:
    html = calendar_site.page("events/archive/")
    assert "中秋晚会" in html and "<h2" in html and "2026年9月" in html
    assert "冬至包饺子" not in html


def test_category_page_lists_only_its_events_and_offers_its_feed(calendar_site: Site) -> None:
    html = calendar_site.page("events/category/culture/")
    assert "伦敦连线讲座" in html and "摄影展" in html
    assert "冬至包饺子" not in html and "太极拳晨练" not in html
    assert f'href="webcal://{HOST}/events/culture.ics"' in html
    assert 'aria-current="page">科教文化</a>' in html


def test_home_page_shows_the_next_three_occurrences_without_cancelled(
        fixture_site: BuildFixture) -> None:
    site = fixture_site({
        "events/movie.yml": event("露天电影", "2026-11-24 18:30", "2026-11-24 20:30",
                                  status="cancelled", note="取消"),
        "events/taiji.yml": event("太极拳晨练", "2026-11-07 07:00", "2026-11-07 08:00",
                                  recurrence="{frequency: weekly, count: 10, exclude: [2026-11-28]}"),
        "events/later.yml": event("冬至包饺子"),
    }, now=NOW)
    home = site.page("")
    block = home.split('id="events-home-title"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<a href="events/[a-z]+/">([^<]+)</a>', block) == ["太极拳晨练"] * 3
    assert re.findall(r"<time [^>]+>([^<]+)</time>", block) == [
        "2026年12月05日 07:00–08:00", "2026年12月12日 07:00–08:00", "2026年12月19日 07:00–08:00"]
    assert home.index('id="portal-hotline-title"') < home.index('id="events-home-title"')


def test_subscribe_page_gives_webcal_links_and_explains_each_phone(calendar_site: Site) -> None:
    html = calendar_site.page("events/subscribe/")
    for feed in ("calendar", "culture", "health", "festival", "charity"):
        assert f'href="webcal://{HOST}/events/{feed}.ics"' in html
        assert f"<code>https://{HOST}/events/{feed}.ics</code>" in html
    assert "iPhone" in html and "安卓" in html and "Outlook" in html


def test_events_tab_lists_the_calendar_and_the_subscribe_page(calendar_site: Site) -> None:
    html = calendar_site.page("")
    assert re.findall(r'<a href="([^"]+)" class="md-tabs__link">', html)[:2] == [".", "events/"]
    nav = calendar_site.page("events/")
    link = re.search(r'<a href="subscribe/" class="md-nav__link">\s*<span class="md-ellipsis">\s*(\S+)', nav)
    assert link and link.group(1) == "订阅日历"


def test_no_events_no_tab_and_no_pages(fixture_site: BuildFixture) -> None:
    site = fixture_site({"handbook/a.md": "---\ntitle: 概况\norder: 1\nsummary: 简介\n---\n正文\n"},
                        now=NOW)
    assert "活动日历" not in site.page("")
    assert not site.exists("events/")


def test_event_pages_are_searchable(calendar_site: Site) -> None:
    html = calendar_site.page("events/solstice/")
    body = html[html.index("data-pagefind-body"):]
    assert 'data-pagefind-filter="section:events"' in html and "饺子" in body


def test_english_interface_switches_calendar_strings(fixture_site: BuildFixture) -> None:
    import yaml

    theme = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["theme"]
    site = fixture_site({"events/run.yml": event("Winter run", "2026-12-05", None, audience="[老人, 儿童]",
                                                 recurrence="{frequency: weekly, count: 3}")},
                        now=NOW, theme={**theme, "language": "en",
                                        "custom_dir": str(ROOT / "site_src" / "overrides")})
    page = site.page("events/run/")
    assert "2026-12-05 (all day)" in page and "<dd>老人, 儿童</dd>" in page
    assert "every Sat, 3 times" in page
    assert "<caption>12/2026</caption>" in site.page("events/month/2026/12/")
    assert "Coming up" in site.page("")


# --- iCalendar ----------------------------------------------------------------------------------

def test_feed_is_a_published_calendar_with_a_shanghai_vtimezone(calendar_site: Site) -> None:
    cal = ics(calendar_site, "events/calendar.ics")
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["PRODID"]).startswith("-//")
    assert str(cal["X-WR-CALNAME"]) == "测试苑社区活动"
    assert "Asia/Shanghai" in [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert "Europe/London" in [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert len(cal.walk("VEVENT")) == 10


def test_every_event_links_back_to_its_page(calendar_site: Site) -> None:
    for vevent in ics(calendar_site, "events/calendar.ics").walk("VEVENT"):
        slug = str(vevent["UID"]).removesuffix(f"@{HOST}")
        url = f"https://{HOST}/events/{slug}/"
        assert str(vevent["URL"]) == url
        assert str(vevent["DESCRIPTION"]).endswith(url)
        assert isinstance(vevent.decoded("DTSTAMP"), datetime)
        assert "SEQUENCE" in vevent and "SUMMARY" in vevent and "ORGANIZER" in vevent


def test_timed_events_carry_their_zone_all_day_events_a_date(calendar_site: Site) -> None:
    events = {str(e["UID"]): e for e in ics(calendar_site, "events/calendar.ics").walk("VEVENT")}
    solstice = events[f"solstice@{HOST}"]
    assert solstice["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert solstice.decoded("DTSTART") == datetime(2026, 12, 22, 15, tzinfo=SHANGHAI)
    show = events[f"photo-show@{HOST}"]
    assert show.decoded("DTSTART") == date(2026, 12, 14)
    assert show.decoded("DTEND") == date(2026, 12, 17)  # exclusive: the 16th is included
    assert b"DTSTART;VALUE=DATE:20261214" in (calendar_site.root / "events/calendar.ics").read_bytes()


def test_cancelled_event_is_cancelled_in_the_feed(calendar_site: Site) -> None:
    events = {str(e["UID"]): e for e in ics(calendar_site, "events/calendar.ics").walk("VEVENT")}
    movie = events[f"movie-night@{HOST}"]
    assert str(movie["STATUS"]) == "CANCELLED"
    assert int(movie["SEQUENCE"]) == 1
    assert "广场维修" in str(movie["DESCRIPTION"])
    assert str(events[f"solstice@{HOST}"]["STATUS"]) == "CONFIRMED"


def test_weekly_series_with_an_excluded_date_expands_exactly(calendar_site: Site) -> None:
    got = dates(calendar_site, "events/calendar.ics", f"taiji@{HOST}")
    want = [datetime(2026, m, d, 7, tzinfo=SHANGHAI) for m, d in
            [(11, 7), (11, 14), (11, 21), (11, 28), (12, 5), (12, 12), (12, 26)]]
    assert got == want
    raw = (calendar_site.root / "events/calendar.ics").read_text(encoding="utf-8")
    assert "RRULE:FREQ=WEEKLY;UNTIL=20261225T230000Z" in raw
    assert "EXDATE;TZID=Asia/Shanghai:20261219T070000" in raw


def test_monthly_series_by_weekday_with_count_expands_exactly(calendar_site: Site) -> None:
    # the first Sunday, four times counted, the January one excluded
    got = dates(calendar_site, "events/health.ics", f"clinic@{HOST}")
    assert got == [datetime(2026, 11, 1, 9, tzinfo=SHANGHAI), datetime(2026, 12, 6, 9, tzinfo=SHANGHAI),
                   datetime(2027, 2, 7, 9, tzinfo=SHANGHAI)]


def test_monthly_series_by_date_until_expands_exactly(calendar_site: Site) -> None:
    got = dates(calendar_site, "events/recycling/recycling.ics", f"recycling@{HOST}")
    assert got == [datetime(y, m, 10, 9, tzinfo=SHANGHAI)
                   for y, m in [(2026, 10), (2026, 11), (2026, 12), (2027, 1)]]


def test_feed_expansion_agrees_with_the_month_grids(calendar_site: Site) -> None:
    uid = f"taiji@{HOST}"
    from_ics = [d.date().isoformat() for d in dates(calendar_site, "events/calendar.ics", uid)
                if isinstance(d, datetime)]
    from_pages = days_with(calendar_site.page("events/month/2026/11/"), "太极拳晨练") + \
        days_with(calendar_site.page("events/month/2026/12/"), "太极拳晨练")
    assert from_ics == from_pages


def test_category_feeds_hold_only_their_category(calendar_site: Site) -> None:
    uids = {str(e["UID"]) for e in ics(calendar_site, "events/festival.ics").walk("VEVENT")}
    assert uids == {f"{s}@{HOST}" for s in ("new-year-fair", "movie-night", "autumn-gala")}
    one = ics(calendar_site, "events/solstice/solstice.ics")
    assert [str(e["UID"]) for e in one.walk("VEVENT")] == [f"solstice@{HOST}"]
    assert str(one["METHOD"]) == "PUBLISH" and one.walk("VTIMEZONE")


def test_two_builds_give_identical_feeds(tmp_path: Path) -> None:
    trees = []
    for name in ("one", "two"):
        base = tmp_path / name
        base.mkdir()
        site = build_site(site_config(base, ROOT / "content", base / "site", NOW))
        trees.append({p.relative_to(site.root).as_posix(): p.read_bytes()
                      for p in sorted((site.root / "events").rglob("*.ics"))})
    assert trees[0].keys() == trees[1].keys() and len(trees[0]) > 5
    uids = [[str(e["UID"]) for e in icalendar.Calendar.from_ical(t["events/calendar.ics"]).walk("VEVENT")]
            for t in trees]
    assert uids[0] == uids[1] and len(set(uids[0])) == len(uids[0])
    assert trees[0] == trees[1]


# --- what staff get wrong -------------------------------------------------------------------

F = "content/events/e.yml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (event(end="2026-12-22 14:00"),
         f"{F}: end: expected a time after 'start' (2026-12-22 15:00), found 2026-12-22 14:00"),
        (event(start="2026-12-22", end="2026-12-21"),
         f"{F}: end: expected a date on or after 'start' (2026-12-22), found 2026-12-21"),
        (event(end="2026-12-23"),
         f"{F}: end: expected the same kind as 'start': a date for an all-day event, a date and "
         f"time for one with a time, found 2026-12-23"),
        (event(end=None),
         f"{F}: end: expected a date and time when the event ends (required when 'start' has a "
         f"time), found nothing"),
        (event(category="体育"),
         f"{F}: category: expected one of '科教文化', '健康娱乐', '文艺庆典', '爱心公益', found '体育'"),
        (event(timezone="Mars/Olympus"),
         f"{F}: timezone: expected an IANA time zone such as 'Asia/Shanghai' or 'Europe/London', "
         f"found 'Mars/Olympus'"),
        (event(recurrence="{frequency: daily, count: 3}"),
         f"{F}: recurrence.frequency: expected one of 'weekly' or 'monthly', found 'daily'"),
        (event(recurrence="{frequency: weekly}"),
         f"{F}: recurrence: expected 'count' (how many times) or 'until' (the last date), found neither"),
        (event(recurrence="{frequency: weekly, count: 3, until: 2027-01-31}"),
         f"{F}: recurrence: expected either 'count' or 'until', not both, found count 3 and until "
         f"2027-01-31"),
        (event(recurrence="{frequency: weekly, until: 2026-12-01}"),
         f"{F}: recurrence.until: expected a date on or after 'start' (2026-12-22), found 2026-12-01"),
        (event(recurrence="{frequency: weekly, count: 3, exclude: [2026-12-23]}"),
         f"{F}: recurrence.exclude: expected dates on which the event recurs (2026-12-22, 2026-12-29, "
         f"2027-01-05, …), found 2026-12-23"),
        (event(start="2026-12-31 09:00", end="2026-12-31 10:00",
               recurrence="{frequency: monthly, count: 3}"),
         f"{F}: recurrence: expected a 'start' on day 1 to 28 for a monthly series by date (some "
         f"months have no such day), or 'by: weekday', found 2026-12-31"),
        (event(recurrence="{frequency: weekly, count: 0}"),
         f"{F}: recurrence.count: expected a number of at least 1, found 0"),
        (event(status="cancelled"),
         f"{F}: note: expected a note saying why and what happens instead (required when status is "
         f"'cancelled'), found nothing"),
        (event(status="moved", note="x"),
         f"{F}: status: expected one of 'scheduled', 'cancelled' or 'postponed', found 'moved'"),
        (event(contact="138 0000 1234"),
         f"{F}: contact: expected one of the public numbers in content/community.yml "
         f"('0571-0000 0000'), found '138 0000 1234'"),
        (event(registration="{deadline: 2026-12-23, how: 电话报名}"),
         f"{F}: registration.deadline: expected a date not after 'start' (2026-12-22 15:00), "
         f"found 2026-12-23"),
        (event(start="2026-12-32 15:00"),
         f"{F}: start: expected a date such as 2026-05-01 or a date and time such as 2026-05-01 "
         f"09:00 (a real calendar date), found '2026-12-32 15:00'"),
        (event().replace("title: 冬至包饺子\n", ""),
         f"{F}: title: expected a value (this field is required), found nothing"),
        (event(owner="张三"),
         f"{F}: owner: expected no such field (check the spelling), found '张三'"),
    ],
    ids=["end-before-start", "all-day-end-before-start", "mixed-kinds", "no-end", "category",
         "timezone", "frequency", "no-count-or-until", "count-and-until", "until-before-start",
         "exclude-not-a-date-of-the-series", "monthly-day-31", "count-zero", "cancelled-without-note",
         "status", "private-phone", "deadline-after-start", "impossible-date", "missing-title",
         "unknown-field"],
)
def test_invalid_event(fixture_site: BuildFixture, text: str, message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"events/e.yml": text}, now=NOW)
    assert f"  {message}" in str(caught.value).splitlines()


@pytest.mark.parametrize(("name", "shown"), [("Winter Run.yml", "'Winter Run.yml'"),
                                             ("month.yml", "'month.yml'"), ("run.yaml", "'run.yaml'")])
def test_file_names_become_addresses(fixture_site: BuildFixture, name: str, shown: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({f"events/{name}": event()}, now=NOW)
    assert (f"  content/events/{name}: (file name): expected name.yml with lower-case letters, "
            f"digits and '-' (it becomes the page address), not archive, category, index, month, "
            f"subscribe, found {shown}") in str(caught.value).splitlines()


def test_every_event_problem_is_reported_at_once(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({
            "events/a.yml": event(category="x", status="y"),
            "events/b.yml": event(end="2026-12-22 10:00"),
            "events/c.yml": "- not a mapping\n",
        }, now=NOW)
    lines = str(caught.value).splitlines()
    assert lines[0] == "4 problems in the portal content:"
    assert "  content/events/c.yml: (file): expected a mapping of field: value, found a list" in lines


# --- the example community -------------------------------------------------------------------

def test_example_calendar_covers_the_year_as_the_domain_asks(example_site: Site) -> None:
    from portal.content import Loader
    from portal.features.events.model import EventMeta
    from portal.options import DEFAULTS

    loader = Loader(ROOT / "content")
    phones = ["0571-8765 4300", "0571-8765 4301", "0571-8765 4302", "0571-8765 4309",
              "0571-8765 4310"]
    metas = [loader.model(p, EventMeta, loader.yaml_file(p),
                          context={"categories": DEFAULTS.event_categories, "phones": phones})
        for p in sorted((ROOT / "content" / "events").glob("*.yml"))]
    assert loader.errors == [] and all(metas)
    events = [m for m in metas if m is not None]
    in_2026 = {m.start.month for m in events if m.start.year == 2026}
    assert in_2026 == set(range(1, 13))
    assert {m.category for m in events} == {"科教文化", "健康娱乐", "文艺庆典", "爱心公益"}
    assert any(m.recurrence and m.recurrence.frequency == "weekly" and m.recurrence.exclude for m in events)
    assert any(m.recurrence and m.recurrence.frequency == "monthly" for m in events)
    assert any(m.status == "cancelled" and m.note for m in events)
    assert any(m.all_day and m.end and m.end > m.start for m in events)
    assert any(not m.recurrence and m.all_day and m.end is None for m in events)
    assert any("老人" in m.audience for m in events) and any("儿童" in m.audience for m in events)
    upcoming = example_site.page("events/")
    assert len(re.findall(r'<li class="events-item', upcoming)) >= 8
    assert example_site.exists("events/month/2027/01/")


def test_event_categories_are_configurable_in_mkdocs_yml(fixture_site: BuildFixture,
                                                         tmp_path: Any) -> None:
    import yaml

    from conftest import FIXED_NOW

    plugins = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["plugins"]
    for plugin in plugins:
        if isinstance(plugin, dict) and "portal" in plugin:
            plugin["portal"].update(content_dir=str(tmp_path / "content"), now=FIXED_NOW,
                                    event_categories={"sport": "体育比赛", "culture": "科教文化"})
    site = fixture_site({"events/ball.yml": event("篮球赛", category="体育比赛")}, plugins=plugins)
    assert site.exists("events/category/sport/") and not site.exists("events/category/charity/")
    assert "篮球赛" in site.page("events/category/sport/")
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"events/ball.yml": event("篮球赛", category="爱心公益")}, plugins=plugins)
    assert "category: expected one of" in str(caught.value) and "'体育比赛'" in str(caught.value)
