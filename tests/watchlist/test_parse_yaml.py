"""monitor.watchlist.parse, YAML side: ``persons:`` with their ``accounts:``; every problem
is located as path:line:col, and the other persons are still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.domain import EmploymentType
from monitor.errors import Problem
from monitor.watchlist.parse import ParseResult, parse_yaml

NIP = "198305122009011003"

#: A good person on lines 1-7; every case below appends a second person from line 8 on.
GOOD = """\
persons:
  - id: P01
    name: Budi Santoso
    employment_type: PNS
    accounts:
      - platform: x
        handle: budi
"""


def parse(tmp_path: Path, text: str) -> tuple[ParseResult, str]:
    path = tmp_path / "daftar.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_yaml(path), str(path)


def handles(result: ParseResult) -> list[str]:
    return [e.account.handle for e in result.entries]


def located(problem: Problem) -> tuple[int, int, str]:
    return problem.line, problem.col, problem.code


def test_a_full_watchlist(tmp_path: Path) -> None:
    result, path = parse(
        tmp_path,
        f"""\
persons:
  - id: P01
    name: Budi Santoso
    nip: "{NIP}"
    agency: Dinas Pendidikan
    position: Guru SDN 1
    region: Kabupaten Sukamaju
    employment_type: PNS
    accounts:
      - platform: twitter
        handle: budi
        url: https://x.com/budi
        verified: true
      - {{platform: IG, handle: "@budi.ig", active: false}}
  - name: Siti Aminah
    agency: Puskesmas Cibening
    employment_type: honorer
    accounts:
      - platform: youtube
        handle: UCsiti
""",
    )
    assert result.problems == []
    budi_x, budi_ig, siti = result.entries
    assert budi_x.person == budi_ig.person
    assert budi_x.person.key == "P01"
    assert (budi_x.person.nip, budi_x.person.position) == (NIP, "Guru SDN 1")
    assert budi_x.person.employment_type is EmploymentType.PNS
    assert (budi_x.account.platform, budi_x.account.handle, budi_x.account.verified) == (
        "x",
        "@budi",
        True,
    )
    assert budi_x.account.url == "https://x.com/budi"
    assert (budi_ig.account.platform, budi_ig.account.active) == ("instagram", False)
    assert siti.person.key == "nama:siti aminah|puskesmas cibening"
    assert siti.person.employment_type is EmploymentType.NON_ASN
    assert (siti.account.handle, siti.account.person_key) == ("UCsiti", siti.person.key)
    # each entry says where its account was written
    assert [(e.where.path, e.where.line, e.where.col) for e in result.entries] == [
        (path, 10, 9),
        (path, 14, 9),
        (path, 19, 9),
    ]


def test_an_unquoted_nip_is_read_as_text(tmp_path: Path) -> None:
    result, _ = parse(tmp_path, GOOD.replace("    name:", f"    nip: {NIP}\n    name:"))
    assert result.problems == []
    assert result.entries[0].person.nip == NIP


def test_yaml_booleans_for_verified_and_active(tmp_path: Path) -> None:
    result, _ = parse(tmp_path, GOOD + "        verified: yes\n        active: no\n")
    assert result.problems == []
    account = result.entries[0].account
    assert (account.verified, account.active) == (True, False)


#: The second person (from line 8), and the problems it must produce: (line, col, code,
#: words in the message).
BAD_PERSONS = {
    "unknown-person-key": (
        """\
  - id: P02
    name: Siti
    employment_type: PPPK
    hobi: bersepeda
    accounts:
      - {platform: x, handle: siti}
""",
        [(11, 5, "unknown-key", ["hobi"])],
    ),
    "unknown-account-key": (
        """\
  - id: P02
    name: Siti
    employment_type: PPPK
    accounts:
      - platform: x
        handle: siti
        warna: merah
""",
        [(14, 9, "unknown-key", ["warna"])],
    ),
    "missing-name": (
        """\
  - id: P02
    employment_type: PPPK
    accounts:
      - {platform: x, handle: siti}
""",
        [(8, 5, "missing-key", ["name"])],
    ),
    "blank-name": (
        """\
  - id: P02
    name: "  "
    employment_type: PPPK
    accounts:
      - {platform: x, handle: siti}
""",
        [(9, 11, "invalid-value", ["name", "kosong"])],
    ),
    "missing-employment-type": (
        """\
  - id: P02
    name: Siti
    accounts:
      - {platform: x, handle: siti}
""",
        [(8, 5, "missing-key", ["employment_type"])],
    ),
    "bad-employment-type": (
        """\
  - id: P02
    name: Siti
    employment_type: Karyawan Swasta
    accounts:
      - {platform: x, handle: siti}
""",
        [(10, 22, "invalid-value", ["Karyawan Swasta", "PNS"])],
    ),
    "bad-nip": (
        """\
  - id: P02
    name: Siti
    nip: 12345
    employment_type: PPPK
    accounts:
      - {platform: x, handle: siti}
""",
        [(10, 10, "invalid-value", ["12345", "18 angka"])],
    ),
    "bad-platform": (
        """\
  - id: P02
    name: Siti
    employment_type: PPPK
    accounts:
      - platform: friendster
        handle: siti
""",
        [(12, 19, "invalid-value", ["friendster"])],
    ),
    "blank-handle": (
        """\
  - id: P02
    name: Siti
    employment_type: PPPK
    accounts:
      - platform: x
        handle: ""
""",
        [(13, 17, "invalid-value", ["handle", "kosong"])],
    ),
    "no-accounts": (
        """\
  - id: P02
    name: Siti
    employment_type: PPPK
    accounts: []
""",
        [(11, 15, "invalid-value", ["accounts", "kosong"])],
    ),
    "yaml11-boolean-name": (
        """\
  - id: P02
    name: no
    employment_type: PPPK
    accounts:
      - {platform: x, handle: siti}
""",
        [(9, 11, "invalid-value", ["teks", "kutip"])],
    ),
    "not-a-mapping": (
        """\
  - Siti, PPPK, @siti
""",
        [(8, 5, "invalid-value", ["pemetaan"])],
    ),
    "several-problems": (
        """\
  - id: P02
    employment_type: Karyawan
    accounts:
      - platform: myspace
        handle: siti
        warna: merah
""",
        [
            (8, 5, "missing-key", ["name"]),
            (9, 22, "invalid-value", ["Karyawan"]),
            (11, 19, "invalid-value", ["myspace"]),
            (13, 9, "unknown-key", ["warna"]),
        ],
    ),
}


@pytest.mark.parametrize(("bad", "expected"), BAD_PERSONS.values(), ids=BAD_PERSONS.keys())
def test_problems_are_located_and_other_persons_still_read(
    tmp_path: Path, bad: str, expected: list[tuple[int, int, str, list[str]]]
) -> None:
    result, path = parse(tmp_path, GOOD + bad)
    assert sorted(located(p) for p in result.problems) == [
        (line, col, code) for line, col, code, _ in expected
    ]
    for problem, (line, col, code, words) in zip(
        sorted(result.problems, key=located), expected, strict=True
    ):
        assert str(problem).startswith(f"{path}:{line}:{col}: error: "), str(problem)
        assert str(problem).endswith(f"[{code}]")
        for word in words:
            assert word in problem.message, (word, problem.message)
    assert handles(result) == ["@budi"]


def test_a_bad_person_in_the_middle_does_not_stop_the_ones_after(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - {name: Siti, employment_type: Swasta, accounts: [{platform: x, handle: siti}]}\n"
        + "  - {name: Citra, employment_type: TNI, accounts: [{platform: x, handle: citra}]}\n"
    )
    result, _ = parse(tmp_path, text)
    assert [(p.line, p.code) for p in result.problems] == [(8, "invalid-value")]
    assert handles(result) == ["@budi", "@citra"]


def test_the_same_person_twice_merges_and_a_conflict_is_located(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - id: P01\n"  # line 8: same person, a second account, a region filled in
        + "    name: Budi Santoso\n"
        + "    region: Sukamaju\n"
        + "    employment_type: PNS\n"
        + "    accounts: [{platform: tiktok, handle: budi.tt}]\n"
        + "  - id: P01\n"  # line 13: same person, another agency
        + "    name: Budi Santoso\n"
        + "    agency: Dinas Kesehatan\n"
        + "    region: Kota Lain\n"
        + "    employment_type: PNS\n"
        + "    accounts: [{platform: facebook, handle: budi.fb}]\n"
    )
    result, _ = parse(tmp_path, text)
    [problem] = result.problems
    assert located(problem) == (13, 5, "person-conflict")
    assert "region" in problem.message
    assert handles(result) == ["@budi", "@budi.tt"]
    assert {e.person.region for e in result.entries} == {"Sukamaju"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- name: Budi\n",
        "persons: {}\n",
        "orang: []\n",
        "persons: []\nlain: 1\n",
        "persons: Budi\n",
    ],
    ids=["empty", "top-level-list", "persons-mapping", "other-key", "extra-key", "scalar"],
)
def test_a_file_of_the_wrong_shape(tmp_path: Path, text: str) -> None:
    result, _ = parse(tmp_path, text)
    assert result.entries == []
    [problem] = result.problems
    assert problem.code == "bad-shape"
    assert problem.line >= 1
    assert "persons" in problem.message


def test_an_empty_persons_list_is_no_problem(tmp_path: Path) -> None:
    assert parse(tmp_path, "persons: []\n")[0] == ParseResult([], [])


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        (GOOD + "  - name: [Siti\n", 8, "yaml-syntax"),
        (
            GOOD.replace("    name: Budi Santoso\n", "    name: Budi\n    name: Budi S\n"),
            4,
            "duplicate-key",
        ),
    ],
    ids=["syntax", "duplicate-key"],
)
def test_a_file_yaml_cannot_load_is_reported_whole(
    tmp_path: Path, text: str, line: int, code: str
) -> None:
    result, path = parse(tmp_path, text)
    assert result.entries == []
    assert [p.code for p in result.problems] == [code]
    assert result.problems[0].line >= line
    assert str(result.problems[0]).startswith(f"{path}:")


def test_a_missing_file(tmp_path: Path) -> None:
    result = parse_yaml(tmp_path / "hilang.yaml")
    assert result.entries == []
    assert [p.code for p in result.problems] == ["not-found"]
