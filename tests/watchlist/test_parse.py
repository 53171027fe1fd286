"""monitor.watchlist.parse, CSV side: one row per account, every problem located by row.

The tables call the parser directly (no database); tests/watchlist/test_sync.py shows the
same rows landing in a database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from monitor.domain import EmploymentType
from monitor.errors import Problem
from monitor.watchlist.parse import (
    COLUMNS,
    ParseResult,
    clean_nip,
    parse_bool,
    parse_csv,
    parse_csv_text,
    parse_file,
    person_key,
)
from tests.conftest import WATCHLIST_HEADER, write_lines, write_watchlist

PATH = "daftar.csv"
NIP = "198305122009011003"
BASE = {
    "person_id": "P01",
    "name": "Budi Santoso",
    "nip": "",
    "agency": "Dinas Pendidikan",
    "position": "Guru",
    "region": "Kabupaten Sukamaju",
    "employment_type": "PNS",
    "platform": "x",
    "handle": "@budi",
    "url": "",
    "verified": "",
    "active": "",
}


def row(**values: str) -> str:
    """One CSV line under WATCHLIST_HEADER: BASE with ``values`` changed, quoted as needed."""
    unknown = set(values) - set(BASE)
    assert not unknown, unknown
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([{**BASE, **values}[c] for c in COLUMNS])
    return out.getvalue().removesuffix("\n")


def parse(*rows: str, header: str = WATCHLIST_HEADER) -> ParseResult:
    return parse_csv_text("".join(line + "\n" for line in (header, *rows)), PATH)


def handles(result: ParseResult) -> list[str]:
    return [e.account.handle for e in result.entries]


def assert_problem(problem: Problem, line: int, code: str, *words: str) -> None:
    assert (problem.path, problem.line, problem.code) == (PATH, line, code), problem
    assert str(problem).startswith(f"{PATH}:{line}: error: "), str(problem)
    for word in words:
        assert word in problem.message, (word, problem.message)


# --- cell values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ya", True),
        ("Ya", True),
        (" YA ", True),
        ("tidak", False),
        ("Tidak", False),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("yes", True),
        ("no", False),
        ("y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("benar", True),
        ("salah", False),
        (True, True),
        (False, False),
    ],
    ids=lambda v: repr(v),
)
def test_parse_bool_words(value: str | bool, expected: bool) -> None:
    assert parse_bool(value, default=not expected) is expected


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["none", "empty", "spaces"])
@pytest.mark.parametrize("default", [True, False])
def test_parse_bool_blank_is_the_default(blank: str | None, default: bool) -> None:
    assert parse_bool(blank, default) is default


@pytest.mark.parametrize("value", ["mungkin", "2", "aktif", "ya tidak"])
def test_parse_bool_refuses_other_words(value: str) -> None:
    with pytest.raises(ValueError, match="ya/tidak"):
        parse_bool(value, True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NIP, NIP),
        ("19830512 200901 1 003", NIP),
        ("19830512.200901.1.003", NIP),
        (f" {NIP} ", NIP),
        ("", None),
        ("  ", None),
        (None, None),
    ],
    ids=["plain", "spaces", "dots", "padded", "empty", "blank", "none"],
)
def test_clean_nip_accepts(value: str | None, expected: str | None) -> None:
    assert clean_nip(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        NIP[:-1],
        NIP + "4",
        NIP[:-1] + "A",
        "1983-05-12-2009-01-1-003",
        "NIP198305122009011003",
    ],
    ids=["17-digits", "19-digits", "letter", "dashes", "prefix"],
)
def test_clean_nip_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="18 angka"):
        clean_nip(value)


@pytest.mark.parametrize(
    ("person_id", "nip", "name", "agency", "expected"),
    [
        ("P01", NIP, "Budi", "Dinas", "P01"),
        ("  P01 ", None, "Budi", "Dinas", "P01"),
        ("", NIP, "Budi", "Dinas", f"nip:{NIP}"),
        (None, NIP, "Budi", "Dinas", f"nip:{NIP}"),
        ("  ", None, "Budi", "Dinas", "nama:budi|dinas"),
        (None, None, " Budi Santoso ", " Dinas Pendidikan ", "nama:budi santoso|dinas pendidikan"),
        (None, None, "BUDI", "DINAS", "nama:budi|dinas"),
    ],
    ids=["person-id", "person-id-padded", "nip", "nip-none-id", "name-agency", "trimmed", "folded"],
)
def test_person_key(
    person_id: str | None, nip: str | None, name: str, agency: str, expected: str
) -> None:
    assert person_key(person_id, nip, name, agency) == expected


# --- accepted rows ----------------------------------------------------------------------


def test_a_full_row() -> None:
    result = parse(
        row(nip=NIP, url="https://x.com/budi", verified="ya", active="tidak", handle="budi")
    )
    assert result.problems == []
    [entry] = result.entries
    person, account = entry.person, entry.account
    assert person.key == "P01"
    assert (person.name, person.nip, person.agency, person.position, person.region) == (
        "Budi Santoso",
        NIP,
        "Dinas Pendidikan",
        "Guru",
        "Kabupaten Sukamaju",
    )
    assert person.employment_type is EmploymentType.PNS
    assert (account.platform, account.handle, account.person_key) == ("x", "@budi", "P01")
    assert (account.url, account.verified, account.active) == ("https://x.com/budi", True, False)
    assert (entry.where.path, entry.where.line) == (PATH, 2)


def test_blank_optional_cells_take_their_defaults() -> None:
    [entry] = parse(row(person_id="", agency="", position="", region="")).entries
    assert entry.person.key == "nama:budi santoso|"
    assert (entry.person.nip, entry.person.agency, entry.person.position) == (None, "", "")
    assert (entry.account.url, entry.account.verified, entry.account.active) == (None, False, True)


def test_cells_are_trimmed() -> None:
    [entry] = parse(row(name="  Budi Santoso ", handle=" budi ", platform=" X ")).entries
    assert entry.person.name == "Budi Santoso"
    assert (entry.account.platform, entry.account.handle) == ("x", "@budi")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PNS", EmploymentType.PNS),
        ("pns", EmploymentType.PNS),
        ("P.N.S.", EmploymentType.PNS),
        ("PPPK", EmploymentType.PPPK),
        ("Non-ASN", EmploymentType.NON_ASN),
        ("non asn", EmploymentType.NON_ASN),
        ("NON_ASN", EmploymentType.NON_ASN),
        ("PPNPN", EmploymentType.NON_ASN),
        ("Honorer", EmploymentType.NON_ASN),
        ("TNI", EmploymentType.TNI),
        ("Polri", EmploymentType.POLRI),
        ("POLRI", EmploymentType.POLRI),
        ("BUMD", EmploymentType.BUMD),
        ("BUMN", EmploymentType.BUMN),
        ("desa", EmploymentType.VILLAGE),
        ("Kepala Desa", EmploymentType.VILLAGE),
        ("kepala-desa", EmploymentType.VILLAGE),
        ("Perangkat Desa", EmploymentType.VILLAGE),
        ("Kades", EmploymentType.VILLAGE),
        ("Lurah", EmploymentType.VILLAGE),
    ],
    ids=lambda v: str(v),
)
def test_employment_type_aliases(written: str, expected: EmploymentType) -> None:
    result = parse(row(employment_type=written))
    assert result.problems == []
    assert result.entries[0].person.employment_type is expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("x", "x"),
        ("X", "x"),
        ("twitter", "x"),
        ("Twitter", "x"),
        ("fb", "facebook"),
        ("Facebook", "facebook"),
        ("ig", "instagram"),
        ("yt", "youtube"),
        ("TikTok", "tiktok"),
        ("telegram", "telegram"),
        ("mastodon", "mastodon"),
        ("threads", "threads"),
    ],
)
def test_platform_aliases(written: str, expected: str) -> None:
    [entry] = parse(row(platform=written)).entries
    assert entry.account.platform == expected


@pytest.mark.parametrize(
    ("platform", "written", "expected"),
    [
        ("x", "budi", "@budi"),
        ("x", "@budi", "@budi"),
        ("instagram", "budi.ig", "@budi.ig"),
        ("youtube", "UCx1y2z3", "UCx1y2z3"),
        ("youtube", "@kanalbudi", "@kanalbudi"),
    ],
    ids=["bare", "at", "instagram", "youtube-channel-id", "youtube-handle"],
)
def test_handles_get_an_at_sign_except_youtube_ids(
    platform: str, written: str, expected: str
) -> None:
    [entry] = parse(row(platform=platform, handle=written)).entries
    assert entry.account.handle == expected


INDONESIAN_HEADERS = {
    "indonesian": "id_orang,nama,nip,instansi,jabatan,wilayah,jenis_pegawai,platform,akun,"
    "tautan,terverifikasi,aktif",
    "spaced-capitals": "ID Orang,Nama,NIP,Instansi,Jabatan,Daerah,Status Kepegawaian,Platform,"
    "Username,URL,Terverifikasi,Aktif",
    "other-aliases": "id,nama,nip,opd,jabatan,wilayah,jenis kepegawaian,platform,handle,url,"
    "verified,active",
}


@pytest.mark.parametrize("header", INDONESIAN_HEADERS.values(), ids=INDONESIAN_HEADERS.keys())
def test_indonesian_column_names(header: str) -> None:
    text = header + "\n" + f"P01,Budi,{NIP},Dinas Kominfo,Staf,Kota Sukamaju,PPPK,x,budi,,ya,ya\n"
    result = parse_csv_text(text, PATH)
    assert result.problems == []
    [entry] = result.entries
    p, a = entry.person, entry.account
    assert (p.key, p.name, p.nip, p.agency, p.position, p.region) == (
        "P01",
        "Budi",
        NIP,
        "Dinas Kominfo",
        "Staf",
        "Kota Sukamaju",
    )
    assert p.employment_type is EmploymentType.PPPK
    assert (a.platform, a.handle, a.verified, a.active) == ("x", "@budi", True, True)


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out() -> None:
    text = "akun,platform,jenis_pegawai,nama\nbudi,twitter,honorer,Budi\n"
    result = parse_csv_text(text, PATH)
    assert result.problems == []
    [entry] = result.entries
    assert entry.person.key == "nama:budi|"
    assert entry.person.employment_type is EmploymentType.NON_ASN
    assert (entry.account.platform, entry.account.handle) == ("x", "@budi")


# --- one person, several rows ------------------------------------------------------------


def test_a_person_with_two_accounts_on_two_rows_is_one_person() -> None:
    result = parse(
        row(platform="x", handle="@budi", nip=NIP),
        row(platform="instagram", handle="@budi.ig", nip=NIP),
    )
    assert result.problems == []
    assert handles(result) == ["@budi", "@budi.ig"]
    first, second = (e.person for e in result.entries)
    assert first == second
    assert first.key == "P01"
    assert [e.account.person_key for e in result.entries] == ["P01", "P01"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"person_id": "", "nip": NIP}, {"person_id": "", "nip": "19830512 200901 1 003"}),
        ({"person_id": "", "nip": ""}, {"person_id": "", "nip": ""}),
    ],
    ids=["same-nip", "same-name-and-agency"],
)
def test_rows_without_person_id_join_on_nip_or_name_and_agency(
    first: dict[str, str], second: dict[str, str]
) -> None:
    result = parse(row(**first), row(**second, platform="facebook"))
    assert result.problems == []
    assert len(result.entries) == 2
    assert len({e.person.key for e in result.entries}) == 1


def test_blank_cells_on_a_later_row_inherit_and_fill_in() -> None:
    result = parse(
        row(platform="x", handle="@budi", region="", nip=NIP),
        row(platform="tiktok", handle="@budi.tt", agency="", position="", region="Sukamaju"),
    )
    assert result.problems == []
    # every entry carries the person as the whole file describes it
    for entry in result.entries:
        assert entry.person.agency == "Dinas Pendidikan"
        assert entry.person.position == "Guru"
        assert entry.person.region == "Sukamaju"
        assert entry.person.nip == NIP


@pytest.mark.parametrize(
    ("field", "first", "later"),
    [
        ("name", "Budi Santoso", "Budi S."),
        ("nip", NIP, "199001012015031002"),
        ("agency", "Dinas Pendidikan", "Dinas Kesehatan"),
        ("position", "Guru", "Kepala Sekolah"),
        ("region", "Kabupaten Sukamaju", "Kota Sukamaju"),
        ("employment_type", "PNS", "PPPK"),
    ],
)
def test_conflicting_person_fields_are_reported_on_the_later_row(
    field: str, first: str, later: str
) -> None:
    result = parse(
        row(**{field: first}, handle="@budi"),
        row(**{field: later}, handle="@budi.fb", platform="facebook"),
        row(person_id="P02", name="Siti", handle="@siti"),
    )
    [problem] = result.problems
    assert_problem(problem, 3, "person-conflict", "baris 3", field, "P01", first, later)
    assert "EmploymentType" not in problem.message  # shown as written: 'PNS' lawan 'PPPK'
    # the first row's person stands; the conflicting row's account is not taken
    assert handles(result) == ["@budi", "@siti"]
    kept = result.entries[0].person
    expected = parse(row(**{field: first})).entries[0].person
    assert kept == expected


# --- rejected rows -------------------------------------------------------------------------

BAD_ROWS = {
    "nip-too-short": (row(nip="12345"), "bad-row", ["nip", "12345", "18 angka"]),
    "nip-letter": (row(nip=NIP[:-1] + "X"), "bad-row", ["nip", "18 angka"]),
    "employment-unknown": (row(employment_type="Swasta"), "bad-row", ["employment_type", "Swasta"]),
    "employment-empty": (row(employment_type=""), "bad-row", ["employment_type", "kosong"]),
    "platform-unknown": (row(platform="myspace"), "bad-row", ["platform", "myspace"]),
    "platform-empty": (row(platform=""), "bad-row", ["platform", "kosong"]),
    "name-empty": (row(name=" "), "bad-row", ["name", "kosong"]),
    "handle-empty": (row(handle=""), "bad-row", ["handle", "kosong"]),
    "verified-word": (row(verified="mungkin"), "bad-row", ["verified", "mungkin"]),
    "active-word": (row(active="kadang"), "bad-row", ["active", "kadang"]),
    "too-few-cells": ("P02,Siti,,Dinas", "bad-row", ["4 kolom", "12"]),
    "too-many-cells": (row() + ",lebih", "bad-row", ["13 kolom", "12"]),
}


@pytest.mark.parametrize(("bad", "code", "words"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_reported_with_its_row_number_and_the_others_are_read(
    bad: str, code: str, words: list[str]
) -> None:
    bad = bad.replace("P01", "P02").replace("@budi", "@siti")
    result = parse(
        row(handle="@budi"),
        bad,
        row(person_id="P03", name="Citra", handle="@citra"),
    )
    [problem] = result.problems
    assert_problem(problem, 3, code, "baris 3", *words)
    assert handles(result) == ["@budi", "@citra"]
    assert [e.where.line for e in result.entries] == [2, 4]


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    result = parse(
        row(nip="1"),
        row(handle="@ok"),
        row(platform="friendster", handle="@b"),
        row(employment_type="swasta", handle="@c"),
    )
    assert [p.line for p in result.problems] == [2, 4, 5]
    assert handles(result) == ["@ok"]


def test_blank_lines_are_skipped_and_row_numbers_stay_true() -> None:
    text = "\n".join(
        [WATCHLIST_HEADER, "", row(handle="@budi"), ",,,,,,,,,,,", "  ", row(nip="1"), ""]
    )
    result = parse_csv_text(text, PATH)
    [problem] = result.problems
    assert_problem(problem, 6, "bad-row", "baris 6")
    assert [e.where.line for e in result.entries] == [3]


def test_quoted_multi_line_cells_keep_row_numbers_true() -> None:
    result = parse(
        row(position="Guru\nSD Negeri 1\nSukamaju", handle="@budi"),  # lines 2-4
        row(person_id="P02", name="Siti", nip="123", handle="@siti"),  # line 5
        row(person_id="P03", name="Citra", region="Kec.\nCibening", handle="@c"),  # 6-7
        row(person_id="P04", name="Dodi", platform="myspace", handle="@d"),  # line 8
        row(person_id="P05", name="Eka", position="Staf\nTU", nip="x", handle="@e"),  # 9-10
        row(person_id="P06", name="Fajar", handle="@fajar"),  # line 11
    )
    assert [(p.line, p.message.split(":")[0]) for p in result.problems] == [
        (5, "baris 5"),
        (8, "baris 8"),
        (9, "baris 9"),
    ]
    assert [(e.account.handle, e.where.line) for e in result.entries] == [
        ("@budi", 2),
        ("@c", 6),
        ("@fajar", 11),
    ]
    assert result.entries[0].person.position == "Guru\nSD Negeri 1\nSukamaju"


# --- dialects ------------------------------------------------------------------------------


def test_semicolon_separated_file() -> None:
    # Excel in an Indonesian locale writes ';' and leaves commas in cells unquoted
    text = (
        "nama;nip;instansi;jabatan;jenis_pegawai;platform;akun;aktif\n"
        f"Budi Santoso;{NIP};Dinas Pendidikan, Pemuda dan Olahraga;Guru, SD;PNS;twitter;budi;ya\n"
        "Siti;;Dinas Kesehatan;Bidan;PPPK;ig;siti;tidak\n"
        "Citra;;;;swasta;x;citra;\n"
    )
    result = parse_csv_text(text, PATH)
    [problem] = result.problems
    assert_problem(problem, 4, "bad-row", "employment_type")
    budi, siti = result.entries
    assert budi.person.agency == "Dinas Pendidikan, Pemuda dan Olahraga"
    assert budi.person.position == "Guru, SD"
    assert (budi.account.platform, budi.account.handle) == ("x", "@budi")
    assert (siti.account.platform, siti.account.active) == ("instagram", False)


def test_tab_separated_file() -> None:
    text = "nama\tjenis_pegawai\tplatform\takun\nBudi, S.Pd.\tPNS\tx\tbudi\n"
    [entry] = parse_csv_text(text, PATH).entries
    assert entry.person.name == "Budi, S.Pd."


def test_header_with_spaces_after_commas() -> None:
    text = "Nama, Jenis Pegawai, Platform, Akun\nBudi, PNS, x, budi\n"
    result = parse_csv_text(text, PATH)
    assert result.problems == []
    assert result.entries[0].account.handle == "@budi"


@pytest.mark.parametrize("delimiter", [",", ";"], ids=["comma", "semicolon"])
def test_quotes_inside_quoted_cells_are_written_twice(delimiter: str) -> None:
    # RFC 4180, as spreadsheets and ``watchlist export`` write them
    header = delimiter.join(["nama", "instansi", "jabatan", "jenis_pegawai", "platform", "akun"])
    cells = ['"Budi ""Bebeng"" Santoso"', '"Dinas A; B, C"', '"Kepala ""Seksi"""', "PNS", "x", "b"]
    result = parse_csv_text(f"{header}\n{delimiter.join(cells)}\n", PATH)
    assert result.problems == []
    [entry] = result.entries
    assert entry.person.name == 'Budi "Bebeng" Santoso'
    assert entry.person.agency == "Dinas A; B, C"
    assert entry.person.position == 'Kepala "Seksi"'


# --- a bad header stops the file ------------------------------------------------------------

BAD_HEADERS = {
    "unknown-column": (WATCHLIST_HEADER + ",hobi", "unknown-column", ["kolom 13", "hobi"]),
    "missing-handle": (
        WATCHLIST_HEADER.replace(",handle", ""),
        "missing-column",
        ["handle"],
    ),
    "missing-two": ("nama,platform", "missing-column", ["employment_type", "handle"]),
    "alias-twice": (
        WATCHLIST_HEADER.replace("person_id,name", "nama,name"),
        "duplicate-column",
        ["kolom 2", "name", "nama"],
    ),
    "column-twice": (WATCHLIST_HEADER + ",platform", "duplicate-column", ["kolom 13", "platform"]),
}


@pytest.mark.parametrize(("header", "code", "words"), BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_bad_header_stops_with_a_located_message(
    header: str, code: str, words: list[str]
) -> None:
    result = parse(row(), header=header)
    assert result.entries == []  # a misread header would misread every row
    assert code in [p.code for p in result.problems]
    problem = next(p for p in result.problems if p.code == code)
    assert_problem(problem, 1, code, *words)


def test_every_header_problem_is_reported() -> None:
    result = parse(header="nama,hobi,alamat,platform")
    assert sorted(p.code for p in result.problems) == [
        "missing-column",
        "unknown-column",
        "unknown-column",
    ]
    assert {p.line for p in result.problems} == {1}


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("\n\n", "missing-column")],
    ids=["empty", "blank-lines"],
)
def test_an_empty_file_is_reported(text: str, code: str) -> None:
    result = parse_csv_text(text, PATH)
    assert result.entries == []
    [problem] = result.problems
    assert_problem(problem, 1, code)


def test_a_header_only_file_has_no_entries_and_no_problems() -> None:
    assert parse() == ParseResult([], [])


# --- files ------------------------------------------------------------------------------------


def test_parse_csv_reads_a_file_with_a_bom_and_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "daftar.csv"
    text = "\r\n".join([WATCHLIST_HEADER, row(), row(nip="1", handle="@b"), ""])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = parse_csv(path)
    assert handles(result) == ["@budi"]
    [problem] = result.problems
    assert (problem.path, problem.line) == (str(path), 3)


def test_parse_file_reads_csv_by_default(tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.txt", [row()])
    assert handles(parse_file(path)) == ["@budi"]


@pytest.mark.parametrize("name", ["daftar.yaml", "daftar.yml", "DAFTAR.YAML"])
def test_parse_file_reads_yaml_by_extension(tmp_path: Path, name: str) -> None:
    lines = ["persons:", "  - name: Budi", "    employment_type: PNS", "    accounts:"]
    path = write_lines(tmp_path / name, [*lines, "      - {platform: x, handle: budi}"])
    assert handles(parse_file(path)) == ["@budi"]


def test_parse_file_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "daftar.csv"
    path.write_bytes(WATCHLIST_HEADER.encode() + b"\nP01,B\xfcdi,,,,,PNS,x,budi,,,\n")
    result = parse_file(path)
    assert result.entries == []
    [problem] = result.problems
    assert (problem.path, problem.code) == (str(path), "encoding")
    assert "UTF-8" in problem.message


@pytest.mark.parametrize("name", ["hilang.csv", "hilang.yaml"])
def test_parse_file_reports_a_missing_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    result = parse_file(path)
    assert result.entries == []
    [problem] = result.problems
    assert (problem.path, problem.code) == (str(path), "not-found")
    assert "tidak ditemukan" in problem.message
