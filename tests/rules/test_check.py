"""monitor.rules.check (``asn-monitor rules check``): load errors, then what only a loaded
rule set can show (unknown candidate pairs, emoji classes and exception ids, terms that
normalise to nothing, examples that do not do what they say), each located; a rule without
examples is a warning. Examples run against the bundled example registry (Sukamaju)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.rules.check import check_rules, example_registry
from monitor.rules.registry import load_registry

HEAD = """\
rules:
  - id: r.one
    title: Judul
    category: support
    severity: high
    legal_basis: [dasar]
"""
# HEAD is lines 1-6; what follows starts on line 7.


def rule_file(body: str) -> str:
    return HEAD + body


EXAMPLES = "    examples:\n      match: [ayo dukung]\n"

# file text, then every problem as (line, code, severity, words of its message)
CASES = [
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n" + EXAMPLES + "      no_match: [halo]\n"),
        [],
        id="clean",
    ),
    pytest.param(
        rule_file("    match:\n      candidate: 9\n" + EXAMPLES),
        [(8, "unknown-candidate", "error", ["nomor 9", "1, 2, 3"])],
        id="unknown-candidate",
    ),
    pytest.param(
        rule_file(
            "    match:\n"
            "      any:\n"
            "        - dukung\n"
            "        - near:\n"
            "            all: [coblos, {candidate: {pair: 7, kinds: [name]}}]\n" + EXAMPLES
        ),
        [(11, "unknown-candidate", "error", ["nomor 7"])],
        id="unknown-candidate-nested",
    ),
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n    unless:\n      candidate: 4\n" + EXAMPLES),
        [(10, "unknown-candidate", "error", ["nomor 4"])],
        id="unknown-candidate-in-unless",
    ),
    pytest.param(
        rule_file("    match:\n      candidate: any\n    examples:\n      match: [HeSti]\n"),
        [],
        id="any-candidate",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n      emoji: [money, duit, '👍🏽', '✌']\n"
            "    examples:\n      match: [dukung 💰]\n"
        ),
        [(9, "unknown-emoji-class", "error", ["'duit'", "gesture_number", "money"])],
        id="unknown-emoji-class",
    ),
    pytest.param(
        rule_file("    match:\n      emoji: [money, '🏻']\n    examples:\n      match: ['💰']\n"),
        [(8, "unknown-emoji-class", "error", ["'🏻'"])],
        id="skin-tone-alone-is-no-emoji",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n    ignore_exceptions: [news, netral]\n" + EXAMPLES
        )
        + "exceptions:\n  - id: news\n    title: Berita\n    match: {any: [berita]}\n",
        [(9, "unknown-exception", "error", ["'netral'"])],
        id="unknown-exception",
    ),
    pytest.param(
        rule_file("    match:\n      any:\n        - dukung\n        - '!!!'\n" + EXAMPLES),
        [(10, "empty-term", "error", ["'!!!'"])],
        id="empty-term",
    ),
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n      none: ['...*']\n" + EXAMPLES),
        [(9, "empty-term", "error", ["'...*'"])],
        id="empty-prefix-term-in-none",
    ),
    pytest.param(
        "exceptions:\n  - id: e\n    title: t\n    match:\n      any: [netral, '#']\n",
        [(5, "empty-term", "error", ["'#'"])],
        id="empty-term-in-exception",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n"
            "    examples:\n      match:\n        - ayo dukung\n        - ayo pilih\n"
        ),
        [(12, "example-failed", "error", ["harus cocok", "'ayo pilih'"])],
        id="match-example-fails",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n" + EXAMPLES + "      no_match:\n"
            "        - text: jangan dukung\n          region: Kabupaten Sukamaju\n"
        ),
        [(12, "example-failed", "error", ["tidak boleh cocok", "'jangan dukung'"])],
        id="no-match-example-fails",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n"
            "    examples:\n      match:\n"
            "        - ayo dukung\n        - ASN netral, tidak dukung\n"
        )
        + "exceptions:\n  - id: reminder\n    title: Pengingat\n    applies_to: [support]\n"
        "    match: {any: [netral]}\n    examples:\n      match: [ASN netral]\n",
        [(12, "example-failed", "error", ["dibungkam pengecualian 'reminder'"])],
        id="match-example-silenced-says-by-which-exception",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n    ignore_exceptions: [reminder]\n"
            "    examples:\n      match: ['ASN netral, tidak dukung']\n"
        )
        + "exceptions:\n  - id: reminder\n    title: Pengingat\n    match: {any: [netral]}\n"
        "    examples:\n      match: [ASN netral]\n",
        [],
        id="ignored-exception-does-not-silence",
    ),
    pytest.param(
        "exceptions:\n  - id: reminder\n    title: Pengingat\n    match: {any: [netral]}\n"
        "    examples:\n      match: [ASN harus adil]\n      no_match: [ASN netral]\n",
        [
            (6, "example-failed", "error", ["harus cocok", "'reminder'"]),
            (7, "example-failed", "error", ["tidak boleh cocok", "'reminder'"]),
        ],
        id="exception-examples",
    ),
    pytest.param(
        rule_file(
            "    match:\n      candidate: 2\n    examples:\n      match:\n"
            "        - {text: Pilih DAMAI, region: Kabupaten Sukamaju}\n"
            "        - text: lihat\n          shared_from: https://x.com/timpemenangan.damai/status/1\n"
            "      no_match:\n        - Pilkada damai\n        - Pilih HeSti\n"
        ),
        [],
        id="examples-with-region-and-shared-from",
    ),
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n"),
        [(2, "no-examples", "warning", ["'r.one'", "examples.match"])],
        id="no-examples",
    ),
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n    examples:\n      no_match: [halo]\n"),
        [(2, "no-examples", "warning", ["examples.match"])],
        id="only-no-match-examples",
    ),
    pytest.param(
        rule_file(
            "    match:\n      any: [dukung]\n      candidate: 9\n"
            "    examples:\n      match: [ayo pilih]\n"
        ),
        [(9, "unknown-candidate", "error", ["nomor 9"])],
        id="examples-wait-for-a-clean-rule-set",
    ),
    pytest.param(
        rule_file("    match:\n      any: [dukung]\n      bogus: 1\n" + EXAMPLES),
        [(9, "unknown-key", "error", ["'bogus'"])],
        id="load-error",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_check(tmp_path: Path, text: str, expected: list[tuple[int, str, str, list[str]]]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    report = check_rules([path])
    got = [(p.line, p.code, p.severity) for p in report.problems]
    assert got == [e[:3] for e in expected], "\n".join(map(str, report.problems))
    for problem, (*_, words) in zip(report.problems, expected, strict=True):
        assert problem.path == str(path)
        assert problem.col > 0
        for word in words:
            assert word in problem.message, str(problem)
    assert report.errors == [p for p in report.problems if p.severity == "error"]
    assert report.warnings == [p for p in report.problems if p.severity == "warning"]


def test_load_errors_leave_no_rule_set(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(rule_file("    match: {}\n"), encoding="utf-8")
    report = check_rules([path])
    assert report.ruleset is None
    assert [p.code for p in report.errors] == ["invalid-value"]


def test_clean_report_keeps_the_rule_set(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(rule_file("    match:\n      any: [dukung]\n" + EXAMPLES), encoding="utf-8")
    report = check_rules([path])
    assert report.problems == []
    assert report.ruleset is not None and [r.id for r in report.ruleset.rules] == ["r.one"]


def test_problems_from_several_files_are_sorted(tmp_path: Path) -> None:
    b = tmp_path / "b.yaml"
    b.write_text(rule_file("    match:\n      any: [dukung]\n"), encoding="utf-8")
    a = tmp_path / "a.yaml"
    a.write_text(
        rule_file("    match:\n      candidate: 8\n").replace("r.one", "r.two"), encoding="utf-8"
    )
    report = check_rules([tmp_path])
    assert [(Path(p.path).name, p.line, p.code) for p in report.problems] == [
        ("a.yaml", 2, "no-examples"),
        ("a.yaml", 8, "unknown-candidate"),
        ("b.yaml", 2, "no-examples"),
    ]


GOVERNOR = """\
election:
  id: pilgub-contoh-2024
  name: Pemilihan Gubernur Contoh 2024
  region: Provinsi Contoh
  level: provinsi
  timezone: Asia/Jakarta
  calendar: {candidates_named: 2024-09-22, campaign_start: 2024-09-25,
             campaign_end: 2024-11-23, quiet_start: 2024-11-24, vote: 2024-11-27}
pairs:
  - {number: 1, head: Ana Satu, deputy: Budi Satu}
  - {number: 4, head: Cici Empat, deputy: Dodi Empat}
"""


def test_pairs_of_the_operators_registry_are_known(tmp_path: Path) -> None:
    registry = tmp_path / "pilgub.yaml"
    registry.write_text(GOVERNOR, encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        rule_file("    match:\n      any: [dukung]\n    unless:\n      candidate: 4\n" + EXAMPLES),
        encoding="utf-8",
    )
    assert [p.code for p in check_rules([rules]).problems] == ["unknown-candidate"]
    assert check_rules([rules], registry=load_registry([registry])).problems == []


def test_example_registry_is_the_bundled_sukamaju_race() -> None:
    registry = example_registry()
    [election] = registry.elections
    assert election.id == "pilbup-sukamaju-2024"
    assert [p.number for p in election.pairs] == [1, 2, 3]
