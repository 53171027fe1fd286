"""``asn-monitor collectors``, ``coverage``, ``config check`` and ``run --once`` reporting
routes that cannot work, as a user runs them. A collector broken upstream is selectable,
reported everywhere, and never silently empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.store import Store
from monitor.store.models import CollectorStateRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line, run_cli, write_lines, write_watchlist

CONFIG = """\
rules: {paths: [rules]}
collectors:
  files:
    type: jsonl
    path: posts.jsonl
    platforms: [x]
  tw:
    type: snscrape
    module: twitter
  feed:
    type: feed
    enabled: false
    platforms: [youtube]
    url: "https://www.youtube.com/feeds/videos.xml?channel_id={handle}"
"""

RULE = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: ["UU 10/2016 Ps. 187A"]
    match: {any: [serangan fajar]}
"""


@pytest.fixture
def project(tmp_path: Path, store: Store) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(RULE, encoding="utf-8")
    write_lines(tmp_path / "posts.jsonl", [post_line("1", "selamat pagi", author="@budi")])
    config = tmp_path / "monitor.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    watchlist = write_watchlist(
        tmp_path / "w.csv",
        [
            "P1,Budi,,Dinas Pendidikan,,,PNS,x,@budi,,,",
            "P2,Siti,,Puskesmas,,,PNS,facebook,siti.fb,,,",
        ],
    )
    assert import_watchlist(store, watchlist).problems == []
    return config


def test_config_check_warns_about_a_collector_broken_upstream(project: Path) -> None:
    result = run_cli("config", "check", str(project), cwd=project.parent)
    assert result.returncode == 0, result.stderr
    warning = f"{project}:8:11: warning: pengumpul tw: modul snscrape 'twitter' rusak di hulu"
    assert warning in result.stderr
    assert "#996" in result.stderr and "[collector-broken]" in result.stderr
    assert "baik (3 pengumpul" in result.stdout and "1 peringatan" in result.stdout


def test_run_collectors_and_coverage_report_the_broken_route(
    project: Path, store: Store, database_url: str
) -> None:
    run = run_cli("-c", str(project), "run", "--once", database_url=database_url)
    assert run.returncode == 0, run.stderr
    assert "files: 1 akun diperiksa, 1 unggahan baru" in run.stdout
    assert "tw: BERHENTI: modul snscrape 'twitter' rusak di hulu" in run.stderr
    with store.session() as session:
        breaker = session.get(CollectorStateRow, "tw")
        assert breaker is not None and breaker.state == "open"

    listed = run_cli("-c", str(project), "collectors", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for name in ("feed", "jsonl", "mastodon", "snscrape", "x_api"):
        assert any(line.startswith(f"  {name} ") for line in lines), name
    assert any(
        "files" in line and "berjalan; 1 akun; 1 pemeriksaan, 0 gagal" in line for line in lines
    )
    assert any("tw" in line and "(snscrape) RUSAK" in line for line in lines)
    assert any("feed" in line and "dimatikan" in line for line in lines)

    coverage = run_cli("-c", str(project), "coverage", database_url=database_url)
    assert coverage.returncode == 0, coverage.stderr
    out = coverage.stdout
    assert "@budi" in out and "siti.fb" in out
    assert "tanpa pengumpul (hanya laporan manual)" in out  # facebook: no route configured
    assert "2 akun:" in out and "1 berhasil diperiksa" in out
    assert "pengumpul tw (snscrape) berhenti" in coverage.stderr

    only = run_cli(
        "-c", str(project), "coverage", "--status", "uncovered", database_url=database_url
    )
    assert "siti.fb" in only.stdout and "@budi " not in only.stdout


def test_digest_has_a_coverage_section(project: Path, database_url: str, tmp_path: Path) -> None:
    assert run_cli("-c", str(project), "run", "--once", database_url=database_url).returncode == 0
    result = run_cli(
        "-c", str(project), "digest", "--out", str(tmp_path / "out"), database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    [markdown] = (tmp_path / "out").glob("*.md")
    text = markdown.read_text(encoding="utf-8")
    assert "## Cakupan pemantauan" in text
    assert "2 akun dipantau; 1 berhasil diperiksa" in text
    assert "**Pengumpul tw (snscrape) berhenti:** modul snscrape 'twitter' rusak" in text
    assert "Tanpa pengumpul (hanya laporan manual) (1)" in text and "siti.fb (Siti)" in text
    [html] = (tmp_path / "out").glob("*.html")
    assert "Cakupan pemantauan" in html.read_text(encoding="utf-8")
