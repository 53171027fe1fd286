"""monitor.rules.registry: candidate registries, one YAML file per election; every mistake
located at path:line:col, all of them reported; which elections a post is checked against."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.rules.registry import (
    REFERENCE_KINDS,
    Reference,
    Registry,
    load_registry,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "candidates"
PILPRES = ROOT / "bench" / "registries" / "pilpres-2019.yaml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(paths: list[Path]) -> list[tuple[str, int, int, str]]:
    with pytest.raises(InputError) as caught:
        load_registry(paths)
    return [(p.path, p.line, p.col, p.code) for p in caught.value.problems]


# Line numbers matter: the table below names them.
HEAD = """\
election:
  id: pilbup-contoh-2024
  name: Pemilihan Bupati dan Wakil Bupati Contoh 2024
  region: Kabupaten Contoh
  province: Provinsi Contoh
  level: kabupaten
  timezone: Asia/Jakarta
  calendar:
    candidates_named: 2024-09-22
    campaign_start: 2024-09-25
    campaign_end: 2024-11-23
    quiet_start: 2024-11-24
    vote: 2024-11-27
"""
PAIRS = """\
pairs:
  - number: 1
    head: Hendra Wijaya
    deputy: Siti Rahmawati
    nicknames: [HeSti]
    hashtags: ["#HeStiMenang"]
    accounts: {official: ["@hesti.official"], winning_team: ["@relawan.hesti"]}
  - number: 2
    head: Darmaji Santosa
    deputy: Maimunah Iskandar
    nicknames: [DAMAI]
    hashtags: ["#LanjutkanDAMAI"]
    gesture: "✌️"
"""
BASE = HEAD + PAIRS


# -- files that load ----------------------------------------------------------------------


def test_demo_registries_load():
    registry = load_registry([DEMO])
    assert [e.id for e in registry.elections] == ["pilbup-sukamaju-2024", "pilgub-jawa-raya-2024"]
    bupati, governor = registry.elections
    assert [p.number for p in bupati.pairs] == [1, 2, 3]
    assert [p.number for p in governor.pairs] == [1, 2]
    assert bupati.level == "kabupaten"
    assert bupati.province == "Provinsi Jawa Raya"
    assert str(bupati.calendar.vote) == "2024-11-27"
    assert bupati.tz.key == "Asia/Jakarta"
    damai = bupati.pair(2)
    assert damai is not None
    assert damai.incumbent is True
    assert damai.accounts.winning_team == ["@timpemenangan.damai", "@relawandamai02"]
    assert bupati.pair(9) is None
    assert registry.election("pilgub-jawa-raya-2024") is governor
    assert registry.election("pilgub-lain") is None
    assert registry.files == tuple(sorted(DEMO.glob("*.yaml")))


def test_pilpres_2019_registry_loads():
    registry = load_registry([PILPRES])
    [election] = registry.elections
    assert (election.id, election.level) == ("pilpres-2019", "nasional")
    assert election.region == "Indonesia"
    jokowi, prabowo = election.pairs
    assert (jokowi.head, jokowi.deputy) == ("Joko Widodo", "Ma'ruf Amin")
    assert (prabowo.head, prabowo.deputy) == ("Prabowo Subianto", "Sandiaga Uno")
    assert "#2019GantiPresiden" in prabowo.hashtags
    assert "Jokowi" in jokowi.nicknames and "Jokowi" in jokowi.short_names


def test_references_by_kind():
    registry = load_registry([DEMO])
    hesti = registry.elections[0].references()[:9]
    pid = "pilbup-sukamaju-2024"
    assert hesti == [
        Reference("name", "Hendra Wijaya", 1, pid),
        Reference("name", "Siti Rahmawati", 1, pid),
        Reference("nickname", "HeSti", 1, pid),
        Reference("nickname", "Hendra-Siti", 1, pid),
        Reference("tagline", "Sukamaju Maju Bersama", 1, pid),
        Reference("hashtag", "#HeStiMenang", 1, pid),
        Reference("account_official", "@hesti.official", 1, pid),
        Reference("account_winning_team", "@relawan.hesti", 1, pid),
        Reference("gesture", "☝️", 1, pid),
    ]
    every = registry.references()
    assert {r.kind for r in every} == set(REFERENCE_KINDS) - {"short_name"}
    assert {r.election_id for r in every} == {pid, "pilgub-jawa-raya-2024"}
    assert sum(1 for r in every if r.text == "☝️") == 2  # one per election: not ambiguous


def test_short_names_and_optional_keys(tmp_path: Path):
    text = BASE.replace(
        "    nicknames: [HeSti]\n",
        '    short_names: [Hendra, "Bu Siti"]\n    nicknames: [HeSti, "  Hendra-Siti "]\n',
    ).replace("  province: Provinsi Contoh\n", "  aliases: [Kab. Contoh]\n")
    registry = load_registry([write(tmp_path / "e.yaml", text)])
    [election] = registry.elections
    assert election.province is None
    assert election.aliases == ["Kab. Contoh"]
    pair = election.pairs[0]
    assert pair.nicknames == ["HeSti", "Hendra-Siti"]  # stripped
    kinds = [(r.kind, r.text) for r in pair.references(election.id)][2:4]
    assert kinds == [("short_name", "Hendra"), ("short_name", "Bu Siti")]
    second = election.pairs[1]
    assert (second.coalition, second.taglines, second.incumbent) == ([], [], False)


def test_same_term_twice_in_one_pair_is_one_reference(tmp_path: Path):
    text = BASE.replace("[HeSti]", "[HeSti, HeSti]")
    [election] = load_registry([write(tmp_path / "e.yaml", text)]).elections
    assert [r.text for r in election.pairs[0].references(election.id)].count("HeSti") == 1


def test_directories_yaml_and_yml(tmp_path: Path):
    write(tmp_path / "a" / "one.yaml", BASE)
    write(tmp_path / "a" / "sub" / "two.yml", BASE.replace("pilbup-contoh-2024", "pilbup-dua"))
    write(tmp_path / "a" / "notes.txt", "bukan daftar calon")
    registry = load_registry([tmp_path / "a"])
    assert sorted(e.id for e in registry.elections) == ["pilbup-contoh-2024", "pilbup-dua"]
    (tmp_path / "empty").mkdir()
    assert load_registry([tmp_path / "empty"]).elections == ()
    assert load_registry([]).version == Registry.empty().version


def test_version_is_sha256_over_files_and_changes_with_them(tmp_path: Path):
    path = write(tmp_path / "e.yaml", BASE)
    first = load_registry([path]).version
    assert len(first) == 64 and int(first, 16) >= 0
    assert load_registry([path]).version == first
    write(path, BASE.replace("Hendra Wijaya", "Hendra Wijaya Kusuma"))
    assert load_registry([path]).version != first


def test_empty_registry():
    registry = Registry.empty()
    assert registry.elections == ()
    assert registry.files == ()
    assert registry.version == hashlib.sha256().hexdigest()
    assert registry.elections_for("Kabupaten Sukamaju") == []
    assert registry.elections_for(None) == []
    assert registry.references() == []


def test_models_are_frozen():
    [election, _] = load_registry([DEMO]).elections
    with pytest.raises(ValueError):
        election.region = "Kabupaten Lain"  # type: ignore[misc]


# -- files that do not load: every mistake located ---------------------------------------

BROKEN = [
    # (id, text replaced, replacement, [(line, col, code, words in the message)])
    pytest.param(
        '    gesture: "✌️"',
        '    gestur: "✌️"',
        [(26, 5, "unknown-key", "'gestur' tidak dikenal")],
        id="unknown-key",
    ),
    pytest.param(
        "    head: Darmaji Santosa\n",
        "",
        [(21, 5, "missing-key", "'head'")],
        id="missing-head",
    ),
    pytest.param(
        "  level: kabupaten",
        "  level: kabupatan",
        [(6, 10, "invalid-value", "'kabupatan' tidak dikenal")],
        id="bad-level",
    ),
    pytest.param(
        "  timezone: Asia/Jakarta",
        "  timezone: Asia/Jakart",
        [(7, 13, "invalid-value", "zona waktu 'Asia/Jakart'")],
        id="bad-timezone",
    ),
    pytest.param(
        "    campaign_end: 2024-11-23",
        "    campaign_end: 2024-09-20",
        [(11, 19, "invalid-value", "campaign_end (2024-09-20) tidak boleh sebelum campaign_start")],
        id="campaign-ends-before-it-starts",
    ),
    pytest.param(
        "    quiet_start: 2024-11-24",
        "    quiet_start: 2024-11-23",
        [(12, 18, "invalid-value", "quiet_start (2024-11-23) harus sesudah campaign_end")],
        id="quiet-on-last-campaign-day",
    ),
    pytest.param(
        "    vote: 2024-11-27",
        "    vote: 2024-09-01",
        [(13, 11, "invalid-value", "vote (2024-09-01) tidak boleh sebelum quiet_start")],
        id="vote-before-quiet",
    ),
    pytest.param(
        "    candidates_named: 2024-09-22",
        "    candidates_named: 2024-09-26",
        [(10, 21, "invalid-value", "campaign_start (2024-09-25) tidak boleh sebelum")],
        id="named-after-campaign-start",
    ),
    pytest.param(
        "    vote: 2024-11-27",
        "    vote: 2024-11-27 08:00:00",
        [(13, 11, "invalid-value", "tanpa jam")],
        id="date-with-time",
    ),
    pytest.param(
        "    vote: 2024-11-27",
        "    vote: 27-11-2024",
        [(13, 11, "invalid-value", "YYYY-MM-DD")],
        id="date-not-iso",
    ),
    pytest.param(
        "  - number: 2",
        "  - number: 1",
        [(21, 13, "duplicate-pair-number", "nomor urut 1 ganda (pertama di baris 15)")],
        id="duplicate-pair-number",
    ),
    pytest.param(
        "  - number: 2",
        "  - number: 0",
        [(21, 13, "invalid-value", "paling kecil 1")],
        id="pair-number-zero",
    ),
    pytest.param(
        "  - number: 2",
        '  - number: "2"',
        [(21, 13, "invalid-value", "bilangan bulat")],
        id="pair-number-quoted",
    ),
    pytest.param(
        '["#LanjutkanDAMAI"]',
        "[LanjutkanDAMAI]",
        [(25, 16, "invalid-value", "tagar 'LanjutkanDAMAI' harus diawali '#'")],
        id="hashtag-without-hash",
    ),
    pytest.param(
        '["#LanjutkanDAMAI"]',
        '["#Lanjutkan DAMAI"]',
        [(25, 16, "invalid-value", "tanpa spasi")],
        id="hashtag-with-space",
    ),
    pytest.param(
        '["@relawan.hesti"]',
        '["relawan.hesti"]',
        [(20, 62, "invalid-value", "akun 'relawan.hesti' harus diawali '@'")],
        id="handle-without-at",
    ),
    pytest.param(
        "    nicknames: [DAMAI]",
        "    nicknames: [hesti]",
        [(24, 17, "ambiguous-reference", "julukan 'hesti' sudah dipakai paslon nomor 1")],
        id="nickname-shared-by-two-pairs",
    ),
    pytest.param(
        '    gesture: "✌️"',
        '    gesture: "@hesti.official"',
        [(26, 14, "ambiguous-reference", "gestur '@hesti.official' sudah dipakai")],
        id="term-shared-across-kinds",
    ),
    pytest.param(
        "    head: Darmaji Santosa",
        '    head: ""',
        [(22, 11, "invalid-value", "tidak boleh kosong")],
        id="empty-head",
    ),
    pytest.param(
        "    nicknames: [DAMAI]",
        "    nicknames: [DAMAI, no]",
        [(24, 24, "invalid-value", 'beri tanda kutip: "no"')],
        id="yaml11-boolean-nickname",
    ),
    pytest.param(
        "    nicknames: [DAMAI]",
        "    nicknames: DAMAI",
        [(24, 16, "invalid-value", "harus berupa daftar")],
        id="nicknames-not-a-list",
    ),
    pytest.param(
        "  id: pilbup-contoh-2024",
        "  id: Pilbup Contoh",
        [(2, 7, "invalid-value", "huruf kecil, angka, dan tanda hubung")],
        id="bad-election-id",
    ),
    pytest.param(
        "    deputy: Siti Rahmawati",
        "    head: Siti Rahmawati",
        [(17, 5, "duplicate-key", "'head' ganda (pertama di baris 16)")],
        id="yaml-duplicate-key",
    ),
    pytest.param(
        PAIRS,
        "pairs: []\n",
        [(14, 8, "invalid-value", "paling sedikit 1")],
        id="no-pairs",
    ),
    pytest.param(
        PAIRS,
        "",
        [(1, 1, "missing-key", "'pairs'")],
        id="pairs-missing",
    ),
    pytest.param(
        "  level: kabupaten\n  timezone: Asia/Jakarta",
        "  tingkat: kabupaten\n  timezone: Asia/Jakart",
        [
            (2, 3, "missing-key", "'level'"),
            (6, 3, "unknown-key", "'tingkat'"),
            (7, 13, "invalid-value", "zona waktu"),
        ],
        id="every-problem-reported",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN)
def test_broken_registry_is_located(
    tmp_path: Path, old: str, new: str, expected: list[tuple[int, int, str, str]]
):
    assert old in BASE
    path = write(tmp_path / "pilbup.yaml", BASE.replace(old, new, 1))
    with pytest.raises(InputError) as caught:
        load_registry([path])
    found = caught.value.problems
    assert [(p.path, p.line, p.col, p.code) for p in found] == [
        (str(path), line, col, code) for line, col, code, _ in expected
    ]
    for problem, (_, _, _, words) in zip(found, expected, strict=True):
        assert words in problem.message
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.col}: error: ")


def test_duplicate_election_id_across_files(tmp_path: Path):
    first = write(tmp_path / "a.yaml", BASE)
    second = write(tmp_path / "b.yaml", BASE.replace("Kabupaten Contoh", "Kota Contoh"))
    with pytest.raises(InputError) as caught:
        load_registry([tmp_path])
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.col, problem.code) == (
        str(second),
        2,
        7,
        "duplicate-election-id",
    )
    assert f"pertama di {first}:2" in problem.message


def test_region_alias_claimed_by_two_elections(tmp_path: Path):
    write(tmp_path / "a.yaml", BASE.replace("  province:", "  aliases: [Contoh]\n  province:"))
    other = BASE.replace("pilbup-contoh-2024", "pilkot-contoh-2024").replace(
        "  region: Kabupaten Contoh\n", "  region: Kota Contoh\n  aliases: [Kota C, contoh]\n"
    )
    second = write(tmp_path / "b.yaml", other)
    assert problems([tmp_path]) == [(str(second), 5, 21, "ambiguous-region")]


def test_problems_from_every_file_are_reported(tmp_path: Path):
    one = write(tmp_path / "a.yaml", BASE.replace("  level: kabupaten", "  level: desa"))
    two = write(tmp_path / "b.yaml", "election: [\n")
    three = write(tmp_path / "c.yaml", "")
    four = write(tmp_path / "d.yaml", "- just\n- a list\n")
    missing = tmp_path / "tidak-ada.yaml"
    assert problems([tmp_path, missing]) == [
        (str(one), 6, 10, "invalid-value"),
        (str(two), 2, 1, "yaml-syntax"),
        (str(three), 0, 0, "empty-file"),
        (str(four), 1, 1, "invalid-value"),
        (str(missing), 0, 0, "not-found"),
    ]


def test_impossible_yaml_date_is_a_problem_not_a_crash(tmp_path: Path):
    path = write(tmp_path / "e.yaml", BASE.replace("2024-11-27", "2024-02-30"))
    with pytest.raises(InputError) as caught:
        load_registry([path])
    [problem] = caught.value.problems
    assert (problem.path, problem.severity, problem.code) == (str(path), "error", "bad-value")
    assert problem.line > 0 and problem.col > 0


def test_one_broken_file_fails_the_whole_load(tmp_path: Path):
    write(tmp_path / "a.yaml", BASE)
    write(tmp_path / "b.yaml", BASE.replace("pilbup-contoh-2024", "b").replace("#", ""))
    with pytest.raises(InputError) as caught:
        load_registry([tmp_path])
    assert {p.code for p in caught.value.problems} == {"invalid-value"}


# -- which elections a post is checked against -------------------------------------------


def election_file(election_id: str, level: str, region: str, extra: str = "") -> str:
    return BASE.replace("  id: pilbup-contoh-2024\n", f"  id: {election_id}\n").replace(
        "  region: Kabupaten Contoh\n  province: Provinsi Contoh\n  level: kabupaten\n",
        f"  region: {region}\n{extra}  level: {level}\n",
    )


@pytest.fixture
def province(tmp_path: Path) -> Registry:
    """Jawa Raya: a governor race, a bupati race, a wali kota race; and a bupati race in a
    province whose governor race is not loaded. Files load in name order."""
    folder = tmp_path / "candidates"
    write(
        folder / "1-pilgub.yaml",
        election_file(
            "pilgub", "provinsi", "Provinsi Jawa Raya", "  aliases: [Jawa Raya, Prov. Jawa Raya]\n"
        ),
    )
    write(
        folder / "2-pilbup.yaml",
        election_file(
            "pilbup",
            "kabupaten",
            "Kabupaten Sukamaju",
            "  province: jawa raya\n  aliases: [Kab. Sukamaju]\n",
        ),
    )
    write(
        folder / "3-pilkot.yaml",
        election_file("pilkot", "kota", "Kota Baru", "  province: Provinsi Jawa Raya\n"),
    )
    write(
        folder / "4-seberang.yaml",
        election_file(
            "seberang", "kabupaten", "Kabupaten Seberang", "  province: Provinsi Nusa Seberang\n"
        ),
    )
    return load_registry([folder])


ALL = ["pilgub", "pilbup", "pilkot", "seberang"]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        pytest.param("Kabupaten Sukamaju", ["pilgub", "pilbup"], id="kabupaten-staff"),
        pytest.param("  kabupaten   SUKAMAJU ", ["pilgub", "pilbup"], id="case-and-spaces"),
        pytest.param("Kab. Sukamaju", ["pilgub", "pilbup"], id="kabupaten-alias"),
        pytest.param("Kota Baru", ["pilgub", "pilkot"], id="kota-staff"),
        pytest.param("Provinsi Jawa Raya", ["pilgub", "pilbup", "pilkot"], id="provincial-staff"),
        pytest.param("Jawa Raya", ["pilgub", "pilbup", "pilkot"], id="province-alias"),
        pytest.param("Kabupaten Seberang", ["seberang"], id="no-governor-race-loaded"),
        pytest.param("Provinsi Nusa Seberang", ["seberang"], id="province-without-its-race"),
        pytest.param("Kabupaten Antah Berantah", ALL, id="unknown-region"),
        pytest.param(None, ALL, id="no-author"),
        pytest.param("  ", ALL, id="blank-region"),
    ],
)
def test_elections_for(province: Registry, region: str | None, expected: list[str]):
    assert [e.id for e in province.elections_for(region)] == expected


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        pytest.param(
            "Kabupaten Sukamaju",
            ["pilbup-sukamaju-2024", "pilgub-jawa-raya-2024", "pilpres-2019"],
            id="local-races-and-national",
        ),
        pytest.param("Indonesia", None, id="national-staff-every-race"),
        pytest.param("Nasional", None, id="national-alias"),
        pytest.param("Kabupaten Antah", None, id="unknown-region-every-race"),
    ],
)
def test_national_election_applies_everywhere(region: str, expected: list[str] | None):
    registry = load_registry([DEMO, PILPRES])
    every = [e.id for e in registry.elections]
    assert [e.id for e in registry.elections_for(region)] == (expected or every)
