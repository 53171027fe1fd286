"""monitor.collect.submit: post ids from URLs, and manual submissions into the database.

The submission tests run on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.collect.submit import (
    host_platform,
    normalise_url,
    parse_posted_at,
    submit_post,
    url_post_id,
)
from monitor.errors import InputError
from monitor.store import Store
from monitor.store.models import (
    AuditRow,
    DecisionRow,
    EvidenceFileRow,
    PostObservationRow,
    PostRow,
)
from monitor.watchlist.sync import import_watchlist
from tests.conftest import write_watchlist

WIB = timezone(timedelta(hours=7))
NOW = datetime(2024, 10, 2, 3, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 32


def url_hash(url: str) -> str:
    return "url:" + hashlib.sha256(url.encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("url", "post_id"),
    [
        ("https://www.facebook.com/budi.santoso/posts/1234567890123456", "1234567890123456"),
        (
            "https://www.facebook.com/budi.santoso/posts/pfbid02abcDEF123xyz?__cft__[0]=AZ&__tn__=R",
            "pfbid02abcDEF123xyz",
        ),
        ("https://m.facebook.com/story.php?story_fbid=987654321&id=100001", "987654321"),
        ("https://www.facebook.com/permalink.php?story_fbid=pfbid0Xyz9&id=100001", "pfbid0Xyz9"),
        ("https://web.facebook.com/groups/123456/permalink/7654321/", "7654321"),
        ("https://www.facebook.com/pemkab.sukamaju/videos/555666777/", "555666777"),
        ("https://www.facebook.com/watch/?v=444555666", "444555666"),
        ("https://www.facebook.com/photo.php?fbid=111222333&set=a.1", "111222333"),
        ("https://www.facebook.com/reel/888999000", "888999000"),
        ("https://fb.watch/abcDEF12/", url_hash("https://fb.watch/abcDEF12")),
        ("https://www.instagram.com/p/CxYz_12-ab/?igshid=MzRlODBiNWFlZA==", "CxYz_12-ab"),
        ("https://www.instagram.com/reel/C9aBcDeFgHi/?utm_source=ig_web_copy_link", "C9aBcDeFgHi"),
        ("https://instagram.com/budi.ig/p/CxYz_12-ab/", "CxYz_12-ab"),
        ("https://www.instagram.com/budi.ig/", url_hash("https://www.instagram.com/budi.ig")),
        (
            "https://www.tiktok.com/@siti/video/7301234567890123456?is_from_webapp=1",
            "7301234567890123456",
        ),
        ("https://www.tiktok.com/@siti/photo/7301234567890000000", "7301234567890000000"),
        ("https://vm.tiktok.com/ZSabc123/", url_hash("https://vm.tiktok.com/ZSabc123")),
        ("https://x.com/budi/status/1840000000000000001?s=20", "1840000000000000001"),
        ("https://twitter.com/budi/status/1840000000000000001/photo/1", "1840000000000000001"),
        ("https://mobile.twitter.com/i/web/status/1840000000000000002", "1840000000000000002"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?si=AbCdEf", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/abcdefghijk", "abcdefghijk"),
        ("https://m.youtube.com/live/ABCDEFGHIJK?feature=share", "ABCDEFGHIJK"),
        ("https://t.me/DinasKominfo/1234", "DinasKominfo/1234"),
        ("https://t.me/s/DinasKominfo/1234", "DinasKominfo/1234"),
        ("https://t.me/c/1700000000/55", "c/1700000000/55"),
        ("https://www.threads.net/@budi/post/C8abc_DEF12", "C8abc_DEF12"),
        (
            "HTTPS://Berita.Example.ID/opini/1?utm_source=wa&utm_medium=share#komentar",
            url_hash("https://berita.example.id/opini/1"),
        ),
        ("mastodon.social/@budi/112233", url_hash("https://mastodon.social/@budi/112233")),
    ],
    ids=[
        "fb-posts",
        "fb-pfbid",
        "fb-story-fbid",
        "fb-permalink-pfbid",
        "fb-group-permalink",
        "fb-videos",
        "fb-watch-v",
        "fb-photo-fbid",
        "fb-reel",
        "fb-watch-short",
        "ig-p",
        "ig-reel",
        "ig-user-p",
        "ig-profile",
        "tiktok-video",
        "tiktok-photo",
        "tiktok-short",
        "x-status",
        "twitter-photo",
        "twitter-i-web",
        "yt-watch",
        "yt-short-link",
        "yt-shorts",
        "yt-live",
        "tme",
        "tme-s",
        "tme-private",
        "threads",
        "other-site",
        "no-scheme",
    ],
)
def test_post_id_from_url(url: str, post_id: str) -> None:
    assert url_post_id(url) == post_id


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://WWW.Facebook.COM/Budi/posts/1/", "https://www.facebook.com/Budi/posts/1"),
        ("http://example.id:80/a?b=1", "http://example.id/a?b=1"),
        ("https://example.id:8443/a", "https://example.id:8443/a"),
        (
            "https://example.id/a?fbclid=1&id=7&utm_campaign=x&mibextid=2",
            "https://example.id/a?id=7",
        ),
        ("https://example.id/a?si=1&igsh=2&gclid=3#top", "https://example.id/a"),
        ("  example.id/a  ", "https://example.id/a"),
        ("https://example.id/", "https://example.id"),
    ],
    ids=[
        "case-trailing-slash",
        "default-port",
        "other-port",
        "tracking",
        "more-tracking",
        "no-scheme",
        "root",
    ],
)
def test_urls_are_normalised_before_hashing(url: str, normal: str) -> None:
    assert normalise_url(url) == normal
    assert url_post_id(url) == url_post_id(normal)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.id/a", "https://", "bukan url", "javascript:alert(1)", "https://a:b/"],
    ids=["ftp", "no-host", "words", "javascript", "bad-port"],
)
def test_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        url_post_id(url)


@pytest.mark.parametrize(
    ("host", "platform"),
    [
        ("m.facebook.com", "facebook"),
        ("fb.watch", "facebook"),
        ("www.instagram.com", "instagram"),
        ("vm.tiktok.com", "tiktok"),
        ("x.com", "x"),
        ("mobile.twitter.com", "x"),
        ("youtu.be", "youtube"),
        ("music.youtube.com", "youtube"),
        ("t.me", "telegram"),
        ("www.threads.net", "threads"),
        ("notfacebook.com", None),
        ("mastodon.social", None),
    ],
)
def test_host_platform(host: str, platform: str | None) -> None:
    assert host_platform(host) == platform


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        ("2024-10-01T08:00:00+07:00", datetime(2024, 10, 1, 8, tzinfo=WIB), None),
        ("2024-10-01T01:00:00Z", datetime(2024, 10, 1, 1, tzinfo=UTC), None),
        ("2024-10-01 08:00+07:00", datetime(2024, 10, 1, 8, tzinfo=WIB), None),
        ("2024-10-01T08:00:00", None, "naive-time"),
        ("01/10/2024 08:00", None, "bad-time"),
    ],
    ids=["offset", "zulu", "space", "naive", "not-iso"],
)
def test_posted_at(value: str, expected: datetime | None, code: str | None) -> None:
    if code is None:
        assert parse_posted_at(value) == expected
        return
    with pytest.raises(InputError) as caught:
        parse_posted_at(value)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("--posted-at", code)


# --- submissions into the database -------------------------------------------------------


@pytest.fixture
def watched(store: Store, tmp_path: Path) -> Store:
    """Budi on Facebook and Instagram (one handle on both), Siti on TikTok."""
    path = write_watchlist(
        tmp_path / "daftar.csv",
        [
            "P01,Budi,,Dinas Pendidikan,Guru,,PNS,facebook,@budi,,,",
            "P01,Budi,,Dinas Pendidikan,Guru,,PNS,instagram,@budi,,,",
            "P02,Siti,,Puskesmas,Bidan,,PPPK,tiktok,@siti,,,",
        ],
    )
    assert import_watchlist(store, path).problems == []
    return store


@pytest.fixture
def shots(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "layar"
    folder.mkdir()
    files = {"a.png": PNG, "b.jpg": JPEG, "catatan.txt": b"bukan gambar"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in files}


FB_URL = "https://www.facebook.com/budi/posts/1234567890?fbclid=IwAR0abc"


def submit(store: Store, tmp_path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "url": FB_URL,
        "account": "facebook:@budi",
        "evidence_dir": tmp_path / "var" / "evidence",
        "now": NOW,
        "actor": "pemantau-1",
    }
    args.update(kwargs)
    return submit_post(store, **args)  # type: ignore[arg-type]


def rows(store: Store, table: type) -> list:  # type: ignore[type-arg]
    with store.session() as session:
        return list(session.scalars(select(table).order_by(table.id)))  # type: ignore[attr-defined]


def submissions(store: Store) -> list[AuditRow]:
    with store.session() as session:
        query = select(AuditRow).where(AuditRow.action == "post.submit").order_by(AuditRow.id)
        return list(session.scalars(query))


def test_a_submission_is_stored_with_its_evidence_and_audited(
    watched: Store, tmp_path: Path, shots: dict[str, Path]
) -> None:
    result = submit(
        watched,
        tmp_path,
        text="Ayo pilih nomor 2!",
        screenshots=[shots["a.png"], shots["b.jpg"]],
        posted_at=datetime(2024, 10, 1, 8, tzinfo=WIB),
        note="dilihat di grup desa",
    )
    png, jpeg = hashlib.sha256(PNG).hexdigest(), hashlib.sha256(JPEG).hexdigest()
    assert (result.platform, result.post_id, result.account) == (
        "facebook",
        "1234567890",
        "facebook:@budi",
    )
    assert (result.new, result.edited, result.decided, result.empty_text) == (
        True,
        False,
        False,
        False,
    )
    assert result.screenshots == [(png, True), (jpeg, True)]

    [post] = rows(watched, PostRow)
    assert (post.platform, post.post_id, post.author, post.text) == (
        "facebook",
        "1234567890",
        "@budi",
        "Ayo pilih nomor 2!",
    )
    assert post.url == "https://www.facebook.com/budi/posts/1234567890"  # no fbclid
    assert (post.collector, post.collector_version) == ("manual", "manual/1")
    assert post.created_at == datetime(2024, 10, 1, 1, tzinfo=UTC)
    assert post.account_id is not None
    payload = json.loads(post.payload)
    assert payload == {
        "url": "https://www.facebook.com/budi/posts/1234567890",
        "text": "Ayo pilih nomor 2!",
        "account": "facebook:@budi",
        "posted_at": "2024-10-01T08:00:00+07:00",
        "submitted_at": "2024-10-02T03:00:00+00:00",
        "submitted_by": "pemantau-1",
        "note": "dilihat di grup desa",
        "screenshots": [
            {"sha256": png, "size": len(PNG), "media_type": "image/png", "name": "a.png"},
            {"sha256": jpeg, "size": len(JPEG), "media_type": "image/jpeg", "name": "b.jpg"},
        ],
    }
    assert post.payload_sha256 == hashlib.sha256(post.payload.encode()).hexdigest()

    files = rows(watched, EvidenceFileRow)
    assert [(f.post_id, f.kind, f.sha256, f.added_by) for f in files] == [
        (post.id, "screenshot", png, "pemantau-1"),
        (post.id, "screenshot", jpeg, "pemantau-1"),
    ]
    assert (tmp_path / "var" / "evidence" / files[0].path).read_bytes() == PNG

    [entry] = submissions(watched)
    assert (entry.action, entry.actor, entry.object_type, entry.object_id) == (
        "post.submit",
        "pemantau-1",
        "post",
        str(post.id),
    )
    assert entry.details["url"] == post.url
    assert entry.details["account"] == "facebook:@budi"
    assert entry.details["screenshots"] == [png, jpeg]
    assert entry.details["payload_sha256"] == post.payload_sha256


def test_submitting_again_adds_screenshots_and_records_an_edit_never_a_second_post(
    watched: Store, tmp_path: Path, shots: dict[str, Path]
) -> None:
    submit(watched, tmp_path, text="Pilih nomor 2", screenshots=[shots["a.png"]])
    same = submit(
        watched,
        tmp_path,
        url=FB_URL.split("?")[0] + "/",
        text="Pilih nomor 2",
        screenshots=[shots["a.png"], shots["b.jpg"]],
    )
    assert (same.new, same.edited) == (False, False)
    assert same.screenshots == [
        (hashlib.sha256(PNG).hexdigest(), False),
        (hashlib.sha256(JPEG).hexdigest(), True),
    ]
    edited = submit(watched, tmp_path, text="Selamat pagi semua")
    assert (edited.new, edited.edited) == (False, True)
    only_shot = submit(watched, tmp_path, screenshots=[shots["b.jpg"]])  # no text: no edit
    assert (only_shot.new, only_shot.edited, only_shot.empty_text) == (False, False, True)

    [post] = rows(watched, PostRow)
    assert post.text == "Pilih nomor 2"  # the first evidence is never overwritten
    assert [(o.kind, o.text, o.collector) for o in rows(watched, PostObservationRow)] == [
        ("edited", "Selamat pagi semua", "manual")
    ]
    assert len(rows(watched, EvidenceFileRow)) == 2
    assert [a.details["new"] for a in submissions(watched)] == [True, False, False, False]


def test_a_decided_post_says_so(watched: Store, tmp_path: Path) -> None:
    first = submit(watched, tmp_path, text="Pilih nomor 2")
    with watched.session() as session:
        session.add(DecisionRow(post_id=first.post_row_id, flagged=True))
    again = submit(watched, tmp_path, text="Pilih nomor 2")
    assert (first.decided, again.decided) == (False, True)


@pytest.mark.parametrize(
    ("url", "account", "platform", "post_id"),
    [
        (FB_URL, "budi", "facebook", "1234567890"),  # the URL's host settles the platform
        ("https://www.instagram.com/p/CxYz_12/", "@BUDI", "instagram", "CxYz_12"),
        ("https://vm.tiktok.com/ZSabc/", "siti", "tiktok", url_hash("https://vm.tiktok.com/ZSabc")),
        (
            "https://berita.example.id/a/1",
            "tiktok:siti",
            "tiktok",
            url_hash("https://berita.example.id/a/1"),
        ),  # an unknown host: any platform
    ],
    ids=["bare-handle-fb", "case-and-at", "short-link", "unknown-host"],
)
def test_accounts_are_found_by_handle_and_platform(
    watched: Store, tmp_path: Path, url: str, account: str, platform: str, post_id: str
) -> None:
    result = submit(watched, tmp_path, url=url, account=account, text="teks")
    assert (result.platform, result.post_id) == (platform, post_id)


@pytest.mark.parametrize(
    ("kwargs", "problems"),
    [
        ({"account": "@andi", "text": "x"}, [("--account", "unknown-account")]),
        ({"account": "x:budi", "text": "x"}, [("--account", "unknown-account")]),
        ({"account": "myspace:budi", "text": "x"}, [("--account", "bad-platform")]),
        (
            {"url": "https://berita.example.id/1", "account": "budi", "text": "x"},
            [("--account", "ambiguous-account")],
        ),
        (
            {"url": "https://www.tiktok.com/@siti/video/1", "account": "budi", "text": "x"},
            [("--account", "platform-mismatch")],
        ),
        (
            {"url": FB_URL, "account": "instagram:budi", "text": "x"},
            [("--account", "platform-mismatch")],
        ),
        ({"url": "ftp://example.id/a", "text": "x"}, [("ftp://example.id/a", "bad-url")]),
        ({"text": "  "}, [("--text", "no-text")]),
        ({"url": "ftp://x/a"}, [("--text", "no-text"), ("ftp://x/a", "bad-url")]),
        (
            {"text": "", "screenshots": ["catatan.txt", "hilang.png"]},
            [("catatan.txt", "bad-media-type"), ("hilang.png", "not-found")],
        ),
    ],
    ids=[
        "unknown",
        "other-platform",
        "bad-platform",
        "ambiguous",
        "url-platform-not-watched",
        "url-platform-differs",
        "bad-url",
        "no-text-no-shot",
        "every-problem-at-once",
        "bad-shots",
    ],
)
def test_bad_submissions_store_nothing(
    watched: Store,
    tmp_path: Path,
    shots: dict[str, Path],
    kwargs: dict[str, object],
    problems: list[tuple[str, str]],
) -> None:
    kwargs = dict(kwargs)  # the table is shared by the sqlite and postgresql runs
    if "screenshots" in kwargs:
        folder = shots["a.png"].parent
        kwargs["screenshots"] = [folder / str(n) for n in kwargs["screenshots"]]  # type: ignore[attr-defined]
        problems = [(str(folder / p), code) for p, code in problems]
    with pytest.raises(InputError) as caught:
        submit(watched, tmp_path, **kwargs)
    assert [(p.path, p.code) for p in caught.value.problems] == problems
    assert rows(watched, PostRow) == []
    assert submissions(watched) == []


def test_the_unknown_account_message_says_how_to_find_accounts(
    watched: Store, tmp_path: Path
) -> None:
    with pytest.raises(InputError) as caught:
        submit(watched, tmp_path, account="andi", text="x")
    [problem] = caught.value.problems
    assert "'asn-monitor watchlist list'" in problem.message
    assert "UU 27/2022" in problem.message


def test_without_posted_at_the_submission_time_is_used(watched: Store, tmp_path: Path) -> None:
    submit(watched, tmp_path, text="teks")
    [post] = rows(watched, PostRow)
    assert post.created_at == NOW
    assert json.loads(post.payload)["posted_at"] is None
