"""``asn-monitor scan``: one decision per post, offline, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, post_line, run_cli, write_lines

DEMO = ROOT / "examples" / "demo"
KEYS = {
    "id",
    "platform",
    "flagged",
    "category",
    "severity",
    "score",
    "rules",
    "scores",
    "stage",
    "route",
}


def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"var_dir: {tmp_path / 'var'}\nrules: {{paths: [{ROOT / 'rules'}]}}\n"
        f"candidates: {{paths: [{DEMO / 'candidates'}]}}\n",
        encoding="utf-8",
    )
    return path


def test_scan_writes_one_decision_per_post_with_stage_and_route(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            post_line(
                "1", "Ayo coblos nomor 1, HeSti menang!", created_at="2024-10-10T09:00:00+07:00"
            ),
            post_line(
                "2",
                "Besok subuh serangan fajar, amplop siap",
                created_at="2024-11-26T20:00:00+07:00",
            ),
            post_line("3", "Semoga jadi, Pak Hendra ☝️", created_at="2024-09-10T09:00:00+07:00"),
            post_line("4", "Nasi uduk enak bgt pagi ini", created_at="2024-10-10T09:00:00+07:00"),
        ],
    )
    out = tmp_path / "out.jsonl"
    result = run_cli("scan", str(source), "--out", str(out), "--config", str(config(tmp_path)))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert all(set(r) == KEYS for r in rows)
    by_id = {r["id"]: r for r in rows}
    first = by_id["1"]
    assert (first["flagged"], first["category"], first["stage"], first["route"]) == (
        True, "support", "campaign", "discipline",
    )  # fmt: skip
    assert (by_id["2"]["category"], by_id["2"]["stage"], by_id["2"]["route"]) == (
        "money_politics",
        "quiet",
        "criminal",
    )
    assert (by_id["3"]["stage"], by_id["3"]["route"]) == ("pre_candidacy", "ethics")
    assert (
        by_id["4"]["flagged"] is False and by_id["4"]["rules"] == [] and by_id["4"]["route"] is None
    )
    assert "support.appeal" in by_id["1"]["rules"]
    assert not (tmp_path / "var").exists()  # scan stores nothing


def test_scan_reports_bad_lines_and_decides_the_rest(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            post_line("1", "serangan fajar"),
            "{not json",
            post_line("3", "halo", created_at="2024-10-01T08:00:00"),
        ],
    )
    out = tmp_path / "out.jsonl"
    result = run_cli("-c", str(config(tmp_path)), "scan", str(source), "--out", str(out))
    assert result.returncode == 1
    assert f"{source}:2:2: error: JSON tidak valid" in result.stderr
    assert f"{source}:3:" in result.stderr and "zona waktu" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        "1"
    ]
