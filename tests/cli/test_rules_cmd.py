"""``asn-monitor rules check|test|explain`` as an analyst runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, post_line, run_cli, write_lines

DEMO = ROOT / "examples" / "demo"

GOOD = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: ["UU 10/2016 Ps. 187A"]
    false_positives: [Sosialisasi anti politik uang]
    match: {any: [serangan fajar]}
    examples:
      match: ["besok serangan fajar"]
      no_match: ["sarapan pagi"]
"""

NO_EXAMPLES = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: ["UU 10/2016 Ps. 187A"]
    match: {any: [serangan fajar]}
"""

BROKEN = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: ["UU 10/2016 Ps. 187A"]
    match: {any: [serangan fajar], regex: "(?<=x)y"}
    examples:
      match: ["tidak ada yang cocok di sini"]
  - id: support.x
    title: Dukung
    category: support
    severity: high
    legal_basis: [SKB]
    match: {all: [dukung, {candidate: 9}]}
    examples:
      match: ["dukung nomor 9"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "args", "code"),
    [
        (GOOD, [], 0),
        (GOOD, ["--strict"], 0),
        (NO_EXAMPLES, [], 0),
        (NO_EXAMPLES, ["--strict"], 2),
        (BROKEN, [], 1),
    ],
    ids=["clean", "clean-strict", "warning", "warning-strict", "errors"],
)
def test_check_exit_codes(tmp_path: Path, text: str, args: list[str], code: int) -> None:
    result = run_cli("rules", "check", *args, str(write(tmp_path, text)))
    assert result.returncode == code, result.stdout + result.stderr


def test_check_prints_every_problem_located(tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    result = run_cli("rules", "check", str(path))
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert any(
        ":7:43: error:" in line and "RE2" in line and "[invalid-value]" in line for line in lines
    ), lines
    # a broken rule does not stop the examples of the sound ones
    result = run_cli(
        "rules", "check", str(write(tmp_path, BROKEN.replace(', regex: "(?<=x)y"', "")))
    )
    assert f"{path}:9:15: error:" in result.stdout and "[example-failed]" in result.stdout
    assert f"{path}:15:39: error: pasangan nomor 9 tidak ada di registri" in result.stdout
    assert "[unknown-candidate]" in result.stdout


def test_the_starter_pack_passes_strict() -> None:
    result = run_cli("rules", "check", "--strict", str(ROOT / "rules"))
    assert result.returncode == 0, result.stdout
    assert "0 peringatan" in result.stdout


def test_rules_test_reports_precision_and_recall_per_rule_and_category() -> None:
    result = run_cli(
        "rules", "test", str(ROOT / "rules"),
        "--data", str(DEMO / "posts.jsonl"),
        "--labels", str(DEMO / "labels.jsonl"),
        "--candidates", str(DEMO / "candidates"),
        "--show", "missed", "--limit", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "contoh: " in out and "0 gagal" in out
    assert "212 unggahan" in out
    assert "money_politics.dawn-euphemism" in out
    assert "Per kategori:" in out and "pelanggaran (semua kategori)" in out
    assert "political_neutral" in out
    assert "Unggahan (missed):" in out


def test_rules_test_without_labels_counts_hits(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    write_lines(posts, [post_line("1", "besok serangan fajar")])
    result = run_cli("rules", "test", str(write(tmp_path, GOOD)), "--data", str(posts))
    assert result.returncode == 0, result.stderr
    assert "1 unggahan, 1 ditandai" in result.stdout
    assert "money.dawn" in result.stdout


def test_explain_shows_normalised_text_references_and_rules() -> None:
    result = run_cli(
        "rules", "explain", "Ojo lali coblos no. 02 ya, DAMAI ✌️",
        str(ROOT / "rules"), "--candidates", str(DEMO / "candidates"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dinormalisasi   : jangan lupa coblos nomor 2 ya damai :victory_hand:" in out
    assert "nomor 2 Darmaji Santosa/Maimunah Iskandar [pilbup-sukamaju-2024]: number '2'" in out
    assert "nickname 'DAMAI'" in out
    assert "COCOK support.appeal" in out
    assert "[coblos] [no. 02]" in out


def test_explain_says_which_exception_silenced_a_rule() -> None:
    result = run_cli(
        "rules", "explain", "ASN harus netral, jangan dukung paslon nomor 1",
        str(ROOT / "rules"), "--candidates", str(DEMO / "candidates"),
    )  # fmt: skip
    assert "dibungkam" in result.stdout and "neutrality-reminder" in result.stdout
