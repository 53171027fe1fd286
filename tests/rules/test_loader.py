"""monitor.rules: the rule language (unknown keys forbidden) and the loader, which locates
every problem in every file and loads nothing half-way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.errors import InputError
from monitor.rules.loader import RuleSet, load_rules, rule_files
from monitor.rules.schema import CandidateRef, Example, Exception_, Expr, Rule, RuleFile


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
rules:
  - id: support.appeal
    title: Ajakan memilih
    category: support
    severity: high
    status: stable
    legal_basis:
      - "SKB 2022 Lampiran II B"
    description: Ajakan langsung
    false_positives:
      - Pendidikan pemilih
    match:
      any: [ayo dukung, "  coblos nomor  ", menang*, 2]
      none: [netral]
      near: {within: 3, all: [coblos, {candidate: any}]}
      regex: "nomor [0-9]"
      hashtags: ["#HeStiMenang", "#coblos*"]
      emoji: [gesture_number, "👍"]
    unless:
      any: [jangan golput]
    ignore_exceptions: [voter-education]
    criminal: true
    examples:
      match:
        - Ayo dukung paslon 2
        - text: lihat ini
          shared_from: "@relawan.hesti"
          region: Kabupaten Sukamaju
      no_match: [ASN harus netral]
exceptions:
  - id: voter-education
    title: Pendidikan pemilih
    applies_to: [support, campaign_share]
    match:
      hashtags: ["#TemanPemilih"]
    examples:
      match: ["#TemanPemilih"]
"""

SECOND = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: [UU 10/2016 Ps. 73]
    match:
      all: [serangan fajar]
"""


def test_good_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "rules.yaml", GOOD)
    ruleset = load_rules([path])
    [rule] = ruleset.rules
    assert rule.id == "support.appeal"
    assert (rule.category, rule.severity, rule.status) == ("support", "high", "stable")
    assert rule.legal_basis == ["SKB 2022 Lampiran II B"]
    assert rule.false_positives == ["Pendidikan pemilih"]
    assert rule.match.any == ["ayo dukung", "coblos nomor", "menang*", "2"]  # trimmed, text
    assert rule.match.none == ["netral"]
    assert rule.match.near is not None and rule.match.near.within == 3
    assert rule.match.near.all[1] == Expr(candidate=CandidateRef(pair="any"))
    assert rule.match.regex == ["nomor [0-9]"]  # one pattern becomes a list
    assert rule.match.hashtags == ["#HeStiMenang", "#coblos*"]
    assert rule.match.emoji == ["gesture_number", "👍"]
    assert rule.unless == Expr(any=["jangan golput"])
    assert rule.ignore_exceptions == ["voter-education"]
    assert rule.criminal is True
    assert rule.examples.match == [
        Example(text="Ayo dukung paslon 2"),
        Example(text="lihat ini", shared_from="@relawan.hesti", region="Kabupaten Sukamaju"),
    ]
    assert rule.examples.no_match == [Example(text="ASN harus netral")]
    [exc] = ruleset.exceptions
    assert (exc.id, exc.applies_to) == ("voter-education", ["support", "campaign_share"])
    assert ruleset.files == (path,)
    assert {k: v.loc for k, v in ruleset.where.items()} == {
        "support.appeal": ("rules", 0),
        "voter-education": ("exceptions", 0),
    }


def test_defaults_of_optional_fields(tmp_path: Path) -> None:
    [rule] = load_rules([write(tmp_path / "r.yaml", SECOND)]).rules
    assert rule.status == "experimental"
    assert rule.description == ""
    assert rule.false_positives == []
    assert rule.match.any is None and rule.match.none is None
    assert rule.unless is None
    assert rule.ignore_exceptions == []
    assert rule.criminal is False
    assert (rule.examples.match, rule.examples.no_match) == ([], [])


@pytest.mark.parametrize(
    ("value", "pair", "kinds", "where"),
    [
        pytest.param("any", "any", 10, ["text", "shared_from"], id="any"),
        pytest.param(2, 2, 10, ["text", "shared_from"], id="number"),
        pytest.param({"pair": 1, "kinds": ["name"]}, 1, 1, ["text", "shared_from"], id="kinds"),
        pytest.param({"in": ["shared_from"]}, "any", 10, ["shared_from"], id="in"),
    ],
)
def test_candidate_shorthands(value: object, pair: object, kinds: int, where: list[str]) -> None:
    ref = Expr.model_validate({"candidate": value}).candidate
    assert ref is not None
    assert (ref.pair, len(ref.kinds), ref.in_) == (pair, kinds, where)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("# just a comment\n", id="comment"),
        pytest.param("rules: []\n", id="no-rules"),
        pytest.param("exceptions: []\n", id="no-exceptions"),
        pytest.param("{}\n", id="empty-mapping"),
    ],
)
def test_files_without_rules_load_empty(tmp_path: Path, text: str) -> None:
    ruleset = load_rules([write(tmp_path / "r.yaml", text)])
    assert (ruleset.rules, ruleset.exceptions) == ((), ())


def test_directories_are_searched_for_yaml_files(tmp_path: Path) -> None:
    write(tmp_path / "pack" / "b.yaml", SECOND)
    write(tmp_path / "pack" / "a.yml", GOOD)
    write(tmp_path / "pack" / "sub" / "c.yaml", "rules: []\n")
    write(tmp_path / "pack" / "README.md", "not a rule file")
    write(tmp_path / "pack" / "notes.txt", "rules: [")
    (tmp_path / "pack" / "folder.yaml").mkdir()
    (tmp_path / "pack" / ".#b.yaml").symlink_to(tmp_path / "pack" / "editor-lock-nowhere")
    files = rule_files([tmp_path / "pack"])
    assert files == [
        tmp_path / "pack" / "a.yml",
        tmp_path / "pack" / "b.yaml",
        tmp_path / "pack" / "sub" / "c.yaml",
    ]
    ruleset = load_rules([tmp_path / "pack"])
    assert [r.id for r in ruleset.rules] == ["support.appeal", "money.dawn"]
    assert ruleset.files == tuple(files)


def test_rule_order_follows_the_paths_given(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", GOOD)
    b = write(tmp_path / "b.yaml", SECOND)
    assert [r.id for r in load_rules([b, a]).rules] == ["money.dawn", "support.appeal"]


def test_version_is_a_hash_of_the_files(tmp_path: Path) -> None:
    path = write(tmp_path / "rules.yaml", GOOD)
    first = load_rules([path]).version
    assert len(first) == 64
    int(first, 16)
    assert load_rules([path]).version == first
    expected = hashlib.sha256(b"rules.yaml\0" + GOOD.encode() + b"\0").hexdigest()
    assert first == expected
    write(path, GOOD.replace("severity: high", "severity: medium"))
    assert load_rules([path]).version != first


def test_empty_ruleset() -> None:
    empty = RuleSet.empty()
    assert (empty.rules, empty.exceptions, empty.files, empty.where) == ((), (), (), {})
    assert empty.version == hashlib.sha256().hexdigest()


# -- every problem, located -------------------------------------------------------------

RULE = """\
rules:
  - id: {id}
    title: Judul
    category: support
    severity: high
    legal_basis: [dasar]
    match:
      any: [kata]
"""


def broken(**replace: str) -> str:
    """RULE with lines replaced: ``broken(title="    title: ''")``; ``extra`` appends lines
    after ``any: [kata]`` (line 8), so an extra line 9 sits inside ``match:``."""
    lines = RULE.format(id="a.b").splitlines()
    names = {"id": 1, "title": 2, "category": 3, "severity": 4, "legal_basis": 5, "any": 7}
    for name, text in replace.items():
        if name == "extra":
            lines.append(text)
        else:
            lines[names[name]] = text
    return "\n".join(lines) + "\n"


EMPTY_EXPR = "ekspresi kosong"
QUOTE_IT = "beri tanda kutip"

# text, then every problem as (line, col, code, a word of its message)
BROKEN = [
    # the rule's own keys
    pytest.param(
        broken(extra="    author: me"), [(9, 5, "unknown-key", "'author'")], id="unknown-key"
    ),
    pytest.param(
        "rules:\n  - id: a.b\n    category: support\n    severity: high\n"
        "    legal_basis: [dasar]\n    match:\n      any: [kata]\n",
        [(2, 5, "missing-key", "'title'")],
        id="missing-title",
    ),
    pytest.param(
        broken(title="    title: ''"), [(3, 12, "invalid-value", "kosong")], id="empty-title"
    ),
    pytest.param(
        broken(category="    category: politics"),
        [(4, 15, "invalid-value", "'politics'")],
        id="bad-category",
    ),
    pytest.param(
        broken(severity="    severity: severe"),
        [(5, 15, "invalid-value", "'severe'")],
        id="bad-severity",
    ),
    pytest.param(
        broken(extra="    status: done"), [(9, 13, "invalid-value", "'done'")], id="bad-status"
    ),
    pytest.param(
        broken(legal_basis="    legal_basis: []"),
        [(6, 18, "invalid-value", "paling sedikit 1")],
        id="empty-legal-basis",
    ),
    pytest.param(
        broken(legal_basis="    legal_basis: UU 10/2016"),
        [(6, 18, "invalid-value", "daftar")],
        id="legal-basis-not-list",
    ),
    pytest.param(
        broken(id="  - id: Bad Id"), [(2, 9, "invalid-value", "pola")], id="bad-id-pattern"
    ),
    pytest.param(
        broken(id="  - id: -leading"), [(2, 9, "invalid-value", "pola")], id="id-bad-first-char"
    ),
    pytest.param(broken(id="  - id: 12"), [(2, 9, "invalid-value", "teks")], id="id-not-text"),
    pytest.param(
        broken(extra="    criminal: maybe"),
        [(9, 15, "invalid-value", "true atau false")],
        id="criminal-not-bool",
    ),
    pytest.param(
        broken(extra="    ignore_exceptions: netral"),
        [(9, 24, "invalid-value", "daftar")],
        id="ignore-exceptions-not-list",
    ),
    # terms
    pytest.param(
        broken(extra="      all: [ok, no, 'no']"),
        [(9, 17, "invalid-value", f'{QUOTE_IT}: "no"')],
        id="unquoted-no-term",
    ),
    pytest.param(
        broken(extra="      none:\n        - fine\n        - On\n        - 2024"),
        [(11, 11, "invalid-value", f'{QUOTE_IT}: "On"')],
        id="every-bad-term-located",
    ),
    pytest.param(
        broken(any="      any: [kata, 'no']", extra="      near: {all: [yes, x]}"),
        [(9, 20, "invalid-value", f'{QUOTE_IT}: "yes"')],
        id="unquoted-yes-in-near",
    ),
    pytest.param(
        broken(extra="      none: ['  ']"), [(9, 14, "invalid-value", "kosong")], id="blank-term"
    ),
    pytest.param(
        broken(any="      any: [kata, '*']"),
        [(8, 19, "invalid-value", "istilah kosong")],
        id="star-alone",
    ),
    pytest.param(
        broken(any="      any: [kata, 'me*nang']"),
        [(8, 19, "invalid-value", "'*' hanya boleh di akhir")],
        id="star-in-the-middle",
    ),
    pytest.param(
        broken(any="      any:\n        - kata\n        - '*menang'"),
        [(10, 11, "invalid-value", "'*' hanya boleh di akhir")],
        id="star-at-the-start",
    ),
    # expressions
    pytest.param(
        broken(extra="      some: [x]"), [(9, 7, "unknown-key", "'some'")], id="unknown-expr-key"
    ),
    pytest.param(
        broken(any="      any:\n        - kata\n        - {anyy: [x]}"),
        [(10, 12, "unknown-key", "'anyy'")],
        id="unknown-key-in-nested-expr",
    ),
    pytest.param(
        broken(any="      none: [x]"),
        [(8, 7, "invalid-value", "'none' saja tidak cukup")],
        id="none-alone",
    ),
    pytest.param(
        broken(any="      any:\n        - kata\n        - none: [x]"),
        [(10, 11, "invalid-value", "'none' saja tidak cukup")],
        id="none-alone-nested",
    ),
    pytest.param(
        broken(extra="    unless:\n      none: [x]"),
        [(10, 7, "invalid-value", "'none' saja tidak cukup")],
        id="none-alone-in-unless",
    ),
    pytest.param(
        "rules:\n  - id: a.b\n    title: Judul\n    category: support\n    severity: high\n"
        "    legal_basis: [dasar]\n    match: {}\n",
        [(7, 12, "invalid-value", EMPTY_EXPR)],
        id="empty-match",
    ),
    pytest.param(
        broken(any="      any: [kata, {}]"),
        [(8, 19, "invalid-value", EMPTY_EXPR)],
        id="empty-nested-expr",
    ),
    pytest.param(
        broken(extra="    unless: {}"), [(9, 13, "invalid-value", EMPTY_EXPR)], id="empty-unless"
    ),
    pytest.param(
        broken(any="      any: []"),
        [(8, 12, "invalid-value", "paling sedikit 1")],
        id="empty-any",
    ),
    pytest.param(
        broken(extra="      regex: '(a)\\1'"),
        [(9, 14, "invalid-value", "RE2")],
        id="backreference-not-re2",
    ),
    pytest.param(
        broken(extra="      regex:\n        - ok\n        - 'x(?=y)'"),
        [(11, 11, "invalid-value", "invalid perl operator")],
        id="lookahead-not-re2-located",
    ),
    pytest.param(
        broken(extra="      regex: '['"), [(9, 14, "invalid-value", "missing ]")], id="bad-regex"
    ),
    pytest.param(
        broken(extra="      hashtags: ['#ok', menang]"),
        [(9, 25, "invalid-value", "harus diawali '#'")],
        id="hashtag-without-hash",
    ),
    pytest.param(
        broken(extra="      hashtags: ['#*']"),
        [(9, 18, "invalid-value", "kosong")],
        id="hashtag-empty",
    ),
    pytest.param(
        broken(extra="      hashtags: ['#salam*jari*']"),
        [(9, 18, "invalid-value", "'*' hanya boleh di akhir")],
        id="hashtag-star-in-the-middle",
    ),
    pytest.param(
        broken(extra="      hashtags: ['#hesti menang']"),
        [(9, 18, "invalid-value", "huruf, angka")],
        id="hashtag-with-space",
    ),
    pytest.param(
        broken(extra="      emoji: []"),
        [(9, 14, "invalid-value", "paling sedikit 1")],
        id="emoji-empty-list",
    ),
    pytest.param(
        broken(extra="      candidate: 0"),
        [(9, 18, "invalid-value", "mulai dari 1")],
        id="candidate-0",
    ),
    pytest.param(
        broken(extra="      candidate: {pair: 0}"),
        [(9, 25, "invalid-value", "mulai dari 1")],
        id="candidate-pair-0",
    ),
    pytest.param(
        broken(extra="      candidate: {kinds: [photo]}"),
        [(9, 27, "invalid-value", "'photo'")],
        id="candidate-unknown-kind",
    ),
    pytest.param(
        broken(extra="      candidate: {in: [bio]}"),
        [(9, 24, "invalid-value", "'bio'")],
        id="candidate-unknown-place",
    ),
    pytest.param(
        broken(extra="      candidate: {who: 1}"),
        [(9, 19, "unknown-key", "'who'")],
        id="candidate-unknown-key",
    ),
    pytest.param(
        broken(extra="      near: {within: 3, all: [coblos]}"),
        [(9, 30, "invalid-value", "paling sedikit 2")],
        id="near-one-item",
    ),
    pytest.param(
        broken(extra="      near: {within: 0, all: [a, b]}"),
        [(9, 22, "invalid-value", "paling kecil 1")],
        id="near-within-0",
    ),
    # examples
    pytest.param(
        broken(extra="    examples:\n      match: [yes]\n      maybe: [x]"),
        [
            (10, 15, "invalid-value", f'{QUOTE_IT}: "yes"'),
            (11, 7, "unknown-key", "'maybe'"),
        ],
        id="examples",
    ),
    pytest.param(
        broken(extra="    examples:\n      match:\n        - {text: hi, where: x}"),
        [(11, 22, "unknown-key", "'where'")],
        id="example-unknown-key",
    ),
    pytest.param(
        broken(extra="    examples:\n      no_match:\n        - {region: x}"),
        [(11, 11, "missing-key", "'text'")],
        id="example-without-text",
    ),
    # exceptions
    pytest.param(
        "exceptions:\n  - id: e\n    title: t\n    applies_to: [campaign]\n    match: {any: [x]}\n",
        [(4, 18, "invalid-value", "'campaign'")],
        id="exception-unknown-category",
    ),
    pytest.param(
        "exceptions:\n  - id: e\n    title: t\n    category: support\n    match: {any: [x]}\n",
        [(4, 5, "unknown-key", "'category'")],
        id="exception-unknown-key",
    ),
    pytest.param(
        "exceptions:\n  - id: e\n    title: t\n",
        [(2, 5, "missing-key", "'match'")],
        id="exception-no-match",
    ),
    # the file
    pytest.param("rules: 5\n", [(1, 8, "invalid-value", "daftar")], id="rules-not-list"),
    pytest.param("- id: a\n", [(1, 1, "not-mapping", "'rules:'")], id="file-not-mapping"),
    pytest.param("rule:\n  - id: a\n", [(1, 1, "unknown-key", "'rule'")], id="misspelt-rules"),
    pytest.param(
        RULE.format(id="a.b") + "  - id: a.b\n    title: t\n",
        [
            (9, 5, "missing-key", "'category'"),
            (9, 5, "missing-key", "'legal_basis'"),
            (9, 5, "missing-key", "'match'"),
            (9, 5, "missing-key", "'severity'"),
        ],
        id="second-rule-missing-keys",
    ),
    pytest.param(
        RULE.format(id="a.b") + RULE.format(id="a.b").replace("rules:\n", ""),
        [(9, 9, "duplicate-id", "'a.b'")],
        id="duplicate-id-same-file",
    ),
    pytest.param(
        RULE.format(id="a.b") + "exceptions:\n  - id: a.b\n    title: t\n    match: {any: [x]}\n",
        [(10, 9, "duplicate-id", "'a.b'")],
        id="duplicate-id-rule-and-exception",
    ),
    pytest.param(
        RULE.format(id="a.b") + "    match:\n      any: [x]\n",
        [(9, 5, "duplicate-key", "baris 7")],
        id="duplicate-key",
    ),
    pytest.param("rules:\n  - id: [\n", [(3, 1, "yaml-syntax", "YAML")], id="yaml-syntax"),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_rule_file_is_located(
    tmp_path: Path, text: str, expected: list[tuple[int, int, str, str]]
) -> None:
    path = write(tmp_path / "rules.yaml", text)
    with pytest.raises(InputError) as caught:
        load_rules([path])
    got = caught.value.problems
    assert {p.path for p in got} == {str(path)}
    assert [(p.line, p.col, p.code) for p in got] == [e[:3] for e in expected]
    for problem, (*_, word) in zip(got, expected, strict=True):
        assert word in problem.message, str(problem)


def test_two_bad_terms_are_both_located(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rules.yaml",
        broken(extra="      none:\n        - fine\n        - On\n        - me*nang"),
    )
    with pytest.raises(InputError) as caught:
        load_rules([path])
    assert [(p.line, p.col) for p in caught.value.problems] == [(11, 11), (12, 11)]


def test_all_problems_in_one_rule_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rules.yaml",
        "rules:\n"
        "  - id: Bad\n"
        "    category: nope\n"
        "    severity: huge\n"
        "    status: done\n"
        "    legal_basis: []\n"
        "    colour: red\n"
        "    match:\n"
        "      any: [no]\n"
        "      hashtags: [tag]\n",
    )
    with pytest.raises(InputError) as caught:
        load_rules([path])
    assert [(p.line, p.col, p.code) for p in caught.value.problems] == [
        (2, 5, "missing-key"),
        (2, 9, "invalid-value"),
        (3, 15, "invalid-value"),
        (4, 15, "invalid-value"),
        (5, 13, "invalid-value"),
        (6, 18, "invalid-value"),
        (7, 5, "unknown-key"),
        (9, 13, "invalid-value"),
        (10, 18, "invalid-value"),
    ]


def test_duplicate_id_across_files_names_the_first(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", RULE.format(id="same.id"))
    second = write(tmp_path / "b.yaml", "# another file\n" + RULE.format(id="same.id"))
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path])
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.col, problem.code) == (
        str(second),
        3,
        9,
        "duplicate-id",
    )
    assert f"{first}:2" in problem.message


def test_problems_in_every_file_are_reported_together(tmp_path: Path) -> None:
    syntax = write(tmp_path / "a.yaml", "rules: [\n")
    invalid = write(tmp_path / "b.yaml", broken(severity="    severity: severe"))
    fine = write(tmp_path / "c.yaml", SECOND)
    absent = tmp_path / "d.yaml"
    with pytest.raises(InputError) as caught:
        load_rules([syntax, invalid, fine, absent])
    assert [(p.path, p.line, p.code) for p in caught.value.problems] == [
        (str(syntax), 2, "yaml-syntax"),
        (str(invalid), 5, "invalid-value"),
        (str(absent), 0, "not-found"),
    ]
    assert str(caught.value).splitlines()[1].startswith(f"{invalid}:5:15: error: ")


# -- the model on its own ---------------------------------------------------------------


def test_rule_model_forbids_unknown_keys() -> None:
    data = {
        "id": "a",
        "title": "t",
        "category": "attack",
        "severity": "low",
        "legal_basis": ["x"],
        "match": {"any": ["k"]},
        "weight": 3,
    }
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(data)
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("extra_forbidden", ("weight",))
    ]
    with pytest.raises(ValidationError):
        RuleFile.model_validate({"rules": [], "version": 2})
    with pytest.raises(ValidationError):
        Exception_.model_validate({"id": "e", "title": "t", "match": {"any": ["k"]}, "x": 1})


def test_rules_are_frozen(tmp_path: Path) -> None:
    [rule] = load_rules([write(tmp_path / "r.yaml", SECOND)]).rules
    with pytest.raises(ValidationError):
        rule.severity = "low"  # type: ignore[misc]
