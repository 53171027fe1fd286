"""monitor.collect.importer: posts from a JSONL file into the database.

A malformed line is reported with its line number and skipped; nothing else is lost;
importing the same file twice adds nothing; an edit is a new observation, never an
overwrite. Runs on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.collect.importer import import_posts
from monitor.collect.importers import CsvMapping
from monitor.errors import InputError
from monitor.store import Store
from monitor.store.models import AccountRow, AuditRow, PostObservationRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line, write_lines, write_watchlist


@pytest.fixture
def watched(store: Store, tmp_path: Path) -> Store:
    """A database watching Budi on X and Instagram and Siti on TikTok."""
    path = write_watchlist(
        tmp_path / "daftar.csv",
        [
            "P01,Budi,,Dinas Pendidikan,Guru,,PNS,x,@budi,,,",
            "P01,Budi,,Dinas Pendidikan,Guru,,PNS,instagram,@budi.ig,,,",
            "P02,Siti,,Puskesmas,Bidan,,PPPK,tiktok,@siti,,,tidak",
        ],
    )
    assert import_watchlist(store, path).problems == []
    return store


def sha256(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def posts(store: Store) -> list[PostRow]:
    with store.session() as session:
        return list(session.scalars(select(PostRow).order_by(PostRow.platform, PostRow.post_id)))


def observations(store: Store) -> list[PostObservationRow]:
    with store.session() as session:
        return list(session.scalars(select(PostObservationRow).order_by(PostObservationRow.id)))


def account_id(store: Store, platform: str, handle_key: str) -> int:
    with store.session() as session:
        return session.scalars(
            select(AccountRow.id).where(
                AccountRow.platform == platform, AccountRow.handle_key == handle_key
            )
        ).one()


def audit_rows(store: Store, action: str) -> list[AuditRow]:
    with store.session() as session:
        query = select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)
        return list(session.scalars(query))


def count(store: Store, table: type[Any]) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


GOOD = [
    post_line("1", "Senin pagi upacara dulu"),
    post_line("2", "Rapat koordinasi", author="@budi.ig", platform="instagram"),
    post_line("3", "Posyandu hari ini", author="@siti", platform="tiktok"),
]


def test_every_post_of_a_clean_file_is_stored(watched: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "posts.jsonl", GOOD)
    report = import_posts(watched, path)
    assert report.problems == []
    assert (report.lines, report.stored.new, report.stored.seen, report.unlisted) == (3, 3, 0, 0)
    stored = posts(watched)
    assert [(p.platform, p.post_id, p.author, p.text) for p in stored] == [
        ("instagram", "2", "@budi.ig", "Rapat koordinasi"),
        ("tiktok", "3", "@siti", "Posyandu hari ini"),
        ("x", "1", "@budi", "Senin pagi upacara dulu"),
    ]
    for row in stored:
        assert (row.collector, row.collector_version) == ("import", "import/1")
        assert row.created_at.utcoffset() is not None
        assert row.edited_at is None


def test_posts_are_linked_to_their_watched_account(watched: Store, tmp_path: Path) -> None:
    lines = [
        post_line("1", "a", author="@BUDI"),  # handles match without case
        post_line("2", "b", author="budi", platform="twitter"),  # nor '@', alias platform
        post_line("3", "c", author="@siti", platform="tiktok"),  # an inactive account
    ]
    import_posts(watched, write_lines(tmp_path / "posts.jsonl", lines))
    by_id = {p.post_id: p.account_id for p in posts(watched)}
    assert by_id == {
        "1": account_id(watched, "x", "budi"),
        "2": account_id(watched, "x", "budi"),
        "3": account_id(watched, "tiktok", "siti"),
    }


def test_the_payload_is_the_exact_line_and_its_sha256(watched: Store, tmp_path: Path) -> None:
    odd = '{"text":"Halo\\u0020semua" , "id":"7","platform":"X","author":"@budi",'
    odd += '"created_at":"2024-10-01T08:00:00+07:00","likes":3,"raw":{"a":[1,2]}}'
    lines = [*GOOD, odd, post_line("8", "emoji 🇮🇩 dan aksara ꦗꦮ", media=["https://m.example/1"])]
    import_posts(watched, write_lines(tmp_path / "posts.jsonl", lines))
    stored = {p.post_id: p for p in posts(watched)}
    for line, post_id in zip(lines, ["1", "2", "3", "7", "8"], strict=True):
        row = stored[post_id]
        assert row.payload == line
        assert row.payload_sha256 == sha256(line)
    assert stored["7"].text == "Halo semua"
    assert stored["8"].media == ["https://m.example/1"]


def test_a_malformed_line_is_reported_with_its_number_and_skipped(
    watched: Store, tmp_path: Path
) -> None:
    lines = [
        GOOD[0],
        '{"id": "9", "platform": "x",',  # line 2: bad JSON
        GOOD[1],
        "",  # line 4: blank, skipped
        post_line("10", "waktu tanpa zona", created_at="2024-10-01T08:00:00"),  # line 5
        "[1, 2]",  # line 6: not an object
        post_line("11", "platform asing", platform="myspace"),  # line 7
        post_line("12", "media salah", media="https://m.example/1"),  # line 8
        GOOD[2],
    ]
    path = write_lines(tmp_path / "posts.jsonl", lines)
    report = import_posts(watched, path)
    assert [(p.path, p.line, p.code) for p in report.problems] == [
        (str(path), 2, "bad-json"),
        (str(path), 5, "bad-post"),
        (str(path), 6, "not-object"),
        (str(path), 7, "bad-post"),
        (str(path), 8, "bad-post"),
    ]
    assert "zona waktu" in report.problems[1].message
    assert "myspace" in report.problems[3].message
    assert "media" in report.problems[4].message
    # nothing else is lost
    assert (report.lines, report.rejected) == (8, 5)
    assert report.stored.new == 3
    assert sorted(p.post_id for p in posts(watched)) == ["1", "2", "3"]


def test_a_line_that_is_not_utf8_is_skipped_and_the_rest_stored(
    watched: Store, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(
        GOOD[0].encode() + b"\n" + b'{"text": "\xff\xfe"}\n' + GOOD[1].encode() + b"\n"
    )
    report = import_posts(watched, path)
    assert [(p.line, p.code) for p in report.problems] == [(2, "encoding")]
    assert report.stored.new == 2


def test_importing_the_same_file_twice_adds_nothing(watched: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "posts.jsonl", [*GOOD, "{rusak"])
    first = import_posts(watched, path)
    before = [(p.id, p.text, p.payload, p.payload_sha256, p.first_seen) for p in posts(watched)]
    second = import_posts(watched, path)
    assert (first.stored.new, first.stored.seen) == (3, 0)
    assert (second.stored.new, second.stored.seen, second.stored.edited) == (0, 3, 0)
    assert [(p.line, p.code) for p in second.problems] == [(4, "bad-json")]
    after = posts(watched)
    assert [(p.id, p.text, p.payload, p.payload_sha256, p.first_seen) for p in after] == before
    assert all(p.last_seen >= p.first_seen for p in after)
    assert observations(watched) == []


def test_an_edited_text_is_a_new_observation_and_the_evidence_is_untouched(
    watched: Store, tmp_path: Path
) -> None:
    original = post_line("1", "Pilih yang terbaik ya")
    edited = post_line("1", "Selamat hari guru", likes=40)
    import_posts(watched, write_lines(tmp_path / "v1.jsonl", [original, GOOD[1]]))
    report = import_posts(watched, write_lines(tmp_path / "v2.jsonl", [edited, GOOD[1]]))
    assert (report.stored.new, report.stored.seen, report.stored.edited) == (0, 2, 1)

    post = next(p for p in posts(watched) if p.post_id == "1")
    assert (post.text, post.payload, post.payload_sha256) == (
        "Pilih yang terbaik ya",
        original,
        sha256(original),
    )
    assert post.edited_at is not None
    [observation] = observations(watched)
    assert (observation.post_id, observation.kind, observation.collector) == (
        post.id,
        "edited",
        "import",
    )
    assert (observation.text, observation.payload, observation.payload_sha256) == (
        "Selamat hari guru",
        edited,
        sha256(edited),
    )

    # the same edit seen again is not a second edit
    again = import_posts(watched, tmp_path / "v2.jsonl")
    assert again.stored.edited == 0
    assert len(observations(watched)) == 1


def test_a_change_outside_the_text_is_not_an_edit(watched: Store, tmp_path: Path) -> None:
    import_posts(watched, write_lines(tmp_path / "v1.jsonl", [post_line("1", "sama")]))
    changed = post_line("1", "sama", likes=99, url="https://x.com/budi/status/1")
    report = import_posts(watched, write_lines(tmp_path / "v2.jsonl", [changed]))
    assert (report.stored.seen, report.stored.edited) == (1, 0)
    assert observations(watched) == []
    assert posts(watched)[0].payload == post_line("1", "sama")


def test_unlisted_authors_are_skipped_with_a_warning(watched: Store, tmp_path: Path) -> None:
    lines = [
        GOOD[0],
        post_line("20", "akun lain", author="@orang_lain"),  # line 2
        post_line("21", "platform lain", author="@budi", platform="facebook"),  # line 3
        GOOD[2],
    ]
    path = write_lines(tmp_path / "posts.jsonl", lines)
    report = import_posts(watched, path)
    assert report.unlisted == 2
    assert [(p.line, p.code, p.severity) for p in report.problems] == [
        (2, "unlisted-author", "warning"),
        (3, "unlisted-author", "warning"),
    ]
    assert "@orang_lain" in report.problems[0].message
    assert "facebook:@budi" in report.problems[1].message
    assert sorted(p.post_id for p in posts(watched)) == ["1", "3"]


def test_include_unlisted_stores_them_without_an_account(watched: Store, tmp_path: Path) -> None:
    lines = [GOOD[0], post_line("20", "akun lain", author="@orang_lain")]
    report = import_posts(
        watched, write_lines(tmp_path / "posts.jsonl", lines), include_unlisted=True
    )
    assert (report.unlisted, report.problems, report.stored.new) == (0, [], 2)
    by_id = {p.post_id: p.account_id for p in posts(watched)}
    assert by_id == {"1": account_id(watched, "x", "budi"), "20": None}


def test_with_an_empty_watchlist_every_author_is_unlisted(store: Store, tmp_path: Path) -> None:
    report = import_posts(store, write_lines(tmp_path / "posts.jsonl", GOOD))
    assert (report.unlisted, report.stored.new) == (3, 0)
    assert count(store, PostRow) == 0


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_batches_change_nothing_but_the_transactions(
    watched: Store, tmp_path: Path, batch_size: int
) -> None:
    lines = [post_line(str(i), f"unggahan {i}") for i in range(7)]
    lines.insert(3, "{rusak")
    path = write_lines(tmp_path / "posts.jsonl", lines)
    report = import_posts(watched, path, batch_size=batch_size)
    assert (report.stored.new, [p.line for p in report.problems]) == (7, [4])
    assert count(watched, PostRow) == 7
    assert import_posts(watched, path, batch_size=batch_size).stored.new == 0


def test_a_post_repeated_in_one_file_is_stored_once(watched: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "posts.jsonl", [GOOD[0], GOOD[1], GOOD[0]])
    report = import_posts(watched, path)
    assert report.problems == []
    assert count(watched, PostRow) == 2
    assert observations(watched) == []


def test_an_edit_later_in_the_same_file_is_recorded_across_batches(
    watched: Store, tmp_path: Path
) -> None:
    lines = [post_line("1", "asli"), post_line("1", "diedit")]
    import_posts(watched, write_lines(tmp_path / "posts.jsonl", lines), batch_size=1)
    assert posts(watched)[0].text == "asli"
    assert [(o.kind, o.text) for o in observations(watched)] == [("edited", "diedit")]


def test_an_edit_later_in_the_same_file_is_recorded_within_a_batch(
    watched: Store, tmp_path: Path
) -> None:
    lines = [post_line("1", "asli"), post_line("1", "diedit")]
    import_posts(watched, write_lines(tmp_path / "posts.jsonl", lines), batch_size=500)
    assert posts(watched)[0].text == "asli"
    assert [(o.kind, o.text) for o in observations(watched)] == [("edited", "diedit")]


def test_the_import_is_audited(watched: Store, tmp_path: Path) -> None:
    lines = [*GOOD, "{rusak", post_line("20", "akun lain", author="@orang_lain")]
    path = write_lines(tmp_path / "posts.jsonl", lines)
    import_posts(watched, path)
    import_posts(watched, path)
    first, second = audit_rows(watched, "posts.import")
    assert (first.object_type, first.object_id) == ("file", str(path))
    assert first.actor
    assert first.details == {
        "lines": 5,
        "new": 3,
        "seen": 0,
        "edited": 0,
        "unlisted": 1,
        "rejected": 1,
    }
    assert (second.details["new"], second.details["seen"]) == (0, 3)


def test_a_file_of_only_bad_lines_stores_nothing_and_is_audited(
    watched: Store, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "posts.jsonl", ["{", "[]", "{}"])
    report = import_posts(watched, path)
    assert [p.line for p in report.problems] == [1, 2, *[3] * 5]  # '{}' lacks five keys
    assert (report.lines, report.rejected) == (3, 3)  # lines, not problems
    assert count(watched, PostRow) == 0
    [row] = audit_rows(watched, "posts.import")
    assert row.details["rejected"] == 3


def test_an_empty_file_is_fine(watched: Store, tmp_path: Path) -> None:
    report = import_posts(watched, write_lines(tmp_path / "posts.jsonl", []))
    assert (report.lines, report.problems, report.stored.new) == (0, [], 0)


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_a_file_that_is_not_there_is_an_input_error(
    watched: Store, tmp_path: Path, make: str
) -> None:
    path = tmp_path / "posts.jsonl"
    if make == "directory":
        path.mkdir()
    with pytest.raises(InputError) as caught:
        import_posts(watched, path)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == (str(path), "not-found")
    assert audit_rows(watched, "posts.import") == []


# --- the other formats: snscrape JSONL and CSV with a mapping ----------------------------

SNSCRAPE = [
    json.dumps(
        {
            "_type": "snscrape.modules.twitter.Tweet",
            "url": "https://twitter.com/budi/status/1840000000000000100",
            "date": "2024-10-01T01:00:00+00:00",
            "rawContent": "Upacara hari Kesaktian Pancasila",
            "id": 1840000000000000100,
            "user": {"_type": "snscrape.modules.twitter.User", "username": "Budi", "id": 7},
            "retweetedTweet": None,
            "quotedTweet": None,
            "_snscrape": "0.7.0.20230622",
        }
    ),
    json.dumps(
        {
            "_type": "snscrape.modules.instagram.InstagramPost",
            "url": "https://www.instagram.com/p/CxYz_12-ab/",
            "date": "2024-10-01T02:00:00+00:00",
            "content": "Senam pagi \u2764",
            "displayUrl": "https://scontent/d.jpg",
            "username": "budi.ig",
            "_snscrape": "0.7.0.20230622",
        }
    ),
    json.dumps(
        {
            "_type": "snscrape.modules.telegram.TelegramPost",
            "url": "https://t.me/s/kanal_lain/5",
            "date": "2024-10-01T03:00:00+00:00",
            "content": "bukan akun pantauan",
            "outlinks": [],
            "_snscrape": "0.7.0.20230622",
        }
    ),
    json.dumps({"_type": "snscrape.modules.telegram.Channel", "username": "kanal_lain"}),
    '{"_type": "snscrape.modules.twitter.Tweet", "url": "https://twitter.com/budi/status/9"}',
]


def test_a_snscrape_file_is_imported_once(watched: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "snscrape.jsonl", SNSCRAPE)
    report = import_posts(watched, path, fmt="snscrape", timezone="Asia/Jakarta")
    assert (report.lines, report.stored.new, report.unlisted) == (5, 2, 1)
    assert (report.skipped, report.rejected) == (1, 1)
    assert [(p.line, p.code, p.severity) for p in report.problems] == [
        (3, "unlisted-author", "warning"),
        (4, "not-a-post", "warning"),
        (5, "bad-record", "error"),
    ]
    stored = {p.post_id: p for p in posts(watched)}
    assert set(stored) == {"1840000000000000100", "CxYz_12-ab"}
    tweet = stored["1840000000000000100"]
    assert (tweet.author, tweet.account_id) == ("@Budi", account_id(watched, "x", "budi"))
    assert (tweet.collector, tweet.collector_version) == ("import", "import-snscrape/1")
    assert tweet.payload == SNSCRAPE[0]
    assert tweet.payload_sha256 == sha256(SNSCRAPE[0])
    assert stored["CxYz_12-ab"].media == ["https://scontent/d.jpg"]

    again = import_posts(watched, path, fmt="snscrape")
    assert (again.stored.new, again.stored.seen, again.stored.edited) == (0, 2, 0)
    assert count(watched, PostRow) == 2
    first, _ = audit_rows(watched, "posts.import")
    assert first.details == {
        "lines": 5,
        "new": 2,
        "seen": 0,
        "edited": 0,
        "unlisted": 1,
        "rejected": 1,
        "format": "snscrape",
        "skipped": 1,
    }


def test_snscrape_posts_of_unlisted_authors_are_kept_when_asked(
    watched: Store, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "snscrape.jsonl", SNSCRAPE[2:3])
    report = import_posts(watched, path, fmt="snscrape", include_unlisted=True)
    assert (report.stored.new, report.unlisted) == (1, 0)
    [post] = posts(watched)
    assert (post.platform, post.post_id, post.author, post.account_id) == (
        "telegram",
        "kanal_lain/5",
        "@kanal_lain",
        None,
    )


CSV_MAPPING = CsvMapping(
    columns={
        "id": "ID Unggahan",
        "author": "Akun",
        "text": "Isi",
        "created_at": "Waktu",
        "platform": "Platform",
    },
    timezone="Asia/Jakarta",
    date_format="%d/%m/%Y %H:%M",
)
CSV_TEXT = (
    "\ufeffID Unggahan;Akun;Isi;Waktu;Platform\n"
    "11;budi;Rapat koordinasi;01/10/2024 08:00;twitter\n"
    "12;@siti;Posyandu;01/10/2024 09:00;TikTok\n"
    "13;orang_lain;bukan pantauan;01/10/2024 10:00;x\n"
    "14;budi;jam rusak;32/10/2024 10:00;x\n"
)


def test_a_csv_file_is_imported_once(watched: Store, tmp_path: Path) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    report = import_posts(watched, path, fmt="csv", mapping=CSV_MAPPING)
    assert (report.lines, report.stored.new, report.unlisted, report.rejected) == (4, 2, 1, 1)
    assert [(p.line, p.code) for p in report.problems] == [
        (4, "unlisted-author"),
        (5, "bad-date"),
    ]
    by_id = {p.post_id: p for p in posts(watched)}
    assert sorted(by_id) == ["11", "12"]
    assert by_id["11"].account_id == account_id(watched, "x", "budi")
    assert by_id["12"].account_id == account_id(watched, "tiktok", "siti")
    assert by_id["12"].collector_version == "import-csv/1"
    assert json.loads(by_id["11"].payload)["Isi"] == "Rapat koordinasi"

    again = import_posts(watched, path, fmt="csv", mapping=CSV_MAPPING)
    assert (again.stored.new, again.stored.seen) == (0, 2)
    assert count(watched, PostRow) == 2
    first, _ = audit_rows(watched, "posts.import")
    assert first.details["format"] == "csv"
    assert first.details["columns"]["id"] == "ID Unggahan"


def test_a_csv_mapping_that_does_not_fit_the_file_imports_nothing(
    watched: Store, tmp_path: Path
) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_text(CSV_TEXT.replace("Waktu", "Tanggal", 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_posts(watched, path, fmt="csv", mapping=CSV_MAPPING)
    assert [(p.line, p.code) for p in caught.value.problems] == [(1, "unknown-column")]
    assert count(watched, PostRow) == 0
    assert audit_rows(watched, "posts.import") == []
