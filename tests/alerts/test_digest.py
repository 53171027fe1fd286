"""The daily digest: the right window in WIB, grouped by agency, evidence highlighted,
HTML escaped, in Bahasa Indonesia."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from monitor.alerts.digest import build_daily_digest, day_window, today
from monitor.alerts.render import CSV_COLUMNS, render_html, render_markdown, write_digest
from monitor.cli import cli
from monitor.domain import Account, Decision, EmploymentType, Match, Person, Post, Span
from monitor.store import Store
from monitor.store.alerts import save_decisions
from monitor.store.models import PostRow
from monitor.store.people import upsert_account, upsert_person
from monitor.store.posts import store_posts

WIB = ZoneInfo("Asia/Jakarta")
POSTED = datetime(2024, 11, 20, 19, 0, tzinfo=timezone(timedelta(hours=7)))


def add_alert(
    store: Store,
    *,
    post_id: str,
    text: str,
    handle: str,
    agency: str,
    severity: str,
    raised_at: datetime,
    words: str = "serangan fajar",
) -> None:
    start = text.index(words)
    post = Post("x", post_id, handle, text, POSTED, payload=text, url=f"https://x.com/s/{post_id}")
    match = Match(
        ("x", post_id),
        f"rule.{severity}",
        f"Aturan {severity}",
        "money_politics",
        severity,
        (Span(start, start + len(words), words),),
    )
    decision = Decision(("x", post_id), True, "money_politics", severity, None, (match,), {}, {})
    with store.session() as session:
        person, _ = upsert_person(
            session, Person(f"P-{handle}", f"Nama {handle}", EmploymentType.PNS, agency, "Guru")
        )
        account, _ = upsert_account(session, Account("x", handle, person.key), person)
        store_posts(
            session,
            [post],
            collector="t",
            collector_version="1",
            account_ids={("x", post_id): account.id},
        )
        row = session.scalars(select(PostRow).where(PostRow.post_id == post_id)).one()
        save_decisions(session, [(row, decision)], now=raised_at)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2024, 11, 24, 16, 59, tzinfo=UTC), date(2024, 11, 24)),  # 23:59 WIB
        (datetime(2024, 11, 24, 17, 0, tzinfo=UTC), date(2024, 11, 25)),  # 00:00 WIB
    ],
    ids=["before-midnight-wib", "at-midnight-wib"],
)
def test_today_is_the_day_in_the_election_timezone(now: datetime, expected: date) -> None:
    assert today(now, WIB) == expected


def test_day_window_is_midnight_to_midnight_wib() -> None:
    start, end = day_window(date(2024, 11, 24), WIB)
    assert start.astimezone(UTC) == datetime(2024, 11, 23, 17, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_alerts_land_in_the_day_they_were_raised_in_wib(store: Store) -> None:
    late = datetime(2024, 11, 24, 16, 30, tzinfo=UTC)  # 23:30 WIB on the 24th
    early = datetime(2024, 11, 24, 17, 30, tzinfo=UTC)  # 00:30 WIB on the 25th
    add_alert(
        store,
        post_id="1",
        text="ikut serangan fajar",
        handle="@a",
        agency="Dinas A",
        severity="high",
        raised_at=late,
    )
    add_alert(
        store,
        post_id="2",
        text="serangan fajar lagi",
        handle="@b",
        agency="Dinas B",
        severity="high",
        raised_at=early,
    )
    now = datetime(2024, 11, 25, 1, 0, tzinfo=UTC)
    d24 = build_daily_digest(store, date(2024, 11, 24), WIB, now=now)
    d25 = build_daily_digest(store, date(2024, 11, 25), WIB, now=now)
    assert [i.handle for g in d24.groups for i in g.items] == ["@a"]
    assert [i.handle for g in d25.groups for i in g.items] == ["@b"]


def test_groups_by_agency_most_severe_first(store: Store) -> None:
    raised = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
    rows = [
        ("1", "@a", "Dinas Pendidikan", "medium"),
        ("2", "@b", "Kecamatan Utara", "critical"),
        ("3", "@c", "Dinas Pendidikan", "high"),
    ]
    for post_id, handle, agency, severity in rows:
        add_alert(
            store,
            post_id=post_id,
            text="ada serangan fajar",
            handle=handle,
            agency=agency,
            severity=severity,
            raised_at=raised,
        )
    digest = build_daily_digest(store, date(2024, 11, 24), WIB, now=raised)
    assert [(g.agency, [i.severity for i in g.items]) for g in digest.groups] == [
        ("Kecamatan Utara", ["critical"]),
        ("Dinas Pendidikan", ["high", "medium"]),
    ]
    assert digest.total == 3
    assert digest.count_by("severity") == {"critical": 1, "high": 1, "medium": 1}


def test_html_escapes_post_text_and_highlights_the_matched_words(store: Store) -> None:
    raised = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
    text = "<script>alert(1)</script> besok serangan fajar & amplop"
    add_alert(
        store,
        post_id="1",
        text=text,
        handle="@a",
        agency="Dinas A",
        severity="critical",
        raised_at=raised,
    )
    digest = build_daily_digest(store, date(2024, 11, 24), WIB, now=raised)
    html = render_html(digest)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; besok " in html
    assert '<mark style="background:#fde68a;">serangan fajar</mark> &amp; amplop' in html
    assert "Ringkasan harian: Minggu, 24 November 2024" in html
    assert "Politik uang" in html and "Kritis" in html
    assert "Rabu, 20 November 2024 19.00 WIB" in html  # post time in WIB
    assert 'href="https://x.com/s/1"' in html
    assert "<style" not in html  # inline CSS only: e-mail clients drop style blocks


def test_markdown_lists_each_alert(store: Store) -> None:
    raised = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
    add_alert(
        store,
        post_id="1",
        text="baris satu\nserangan fajar",
        handle="@a",
        agency="Dinas A",
        severity="high",
        raised_at=raised,
    )
    markdown = render_markdown(build_daily_digest(store, date(2024, 11, 24), WIB, now=raised))
    assert "## Dinas A (1)" in markdown
    assert "> baris satu\n> serangan fajar" in markdown
    assert "`rule.high` Aturan high" in markdown


def test_an_empty_day_says_so(store: Store, tmp_path: Path) -> None:
    digest = build_daily_digest(
        store, date(2024, 11, 24), WIB, now=datetime(2024, 11, 24, tzinfo=UTC)
    )
    assert digest.total == 0
    written = write_digest(digest, tmp_path / "out")
    assert "Tidak ada peringatan baru" in written["html"].read_text(encoding="utf-8")
    assert "Tidak ada peringatan baru" in written["md"].read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "digest-2024-11-24.csv",
        "digest-2024-11-24.html",
        "digest-2024-11-24.md",
    ]
    header = written["csv"].read_text(encoding="utf-8-sig").splitlines()
    assert header == [",".join(CSV_COLUMNS)]  # no alerts: the header only


def test_digest_command_defaults_to_today_in_wib(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"MONITOR_DATABASE_URL": database_url}
    with time_machine.travel(datetime(2024, 11, 24, 18, 0, tzinfo=UTC), tick=False):
        result = runner.invoke(cli, ["digest", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert "ringkasan 2024-11-25" in result.output
    assert (tmp_path / "digest-2024-11-25.html").exists()
