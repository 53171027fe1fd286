"""The demo chain, as a new user runs it: watchlist import, run --once, digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

DEMO = ROOT / "examples" / "demo"


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""\
var_dir: {tmp_path / "var"}
rules: {{paths: [{ROOT / "rules"}]}}
candidates: {{paths: [{DEMO / "candidates"}]}}
collectors:
  demo-posts: {{type: jsonl, path: {DEMO / "posts.jsonl"}}}
""",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
def test_demo_pipeline_writes_a_digest_listing_alerts(
    demo_config: Path, database_url: str, tmp_path: Path
) -> None:
    def cli(*args: str):  # type: ignore[no-untyped-def]
        result = run_cli("-c", str(demo_config), *args, database_url=database_url)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    cli("config", "check")
    imported = cli("watchlist", "import", str(DEMO / "watchlist.csv"))
    assert "24 akun baru" in imported.stdout
    first = cli("run", "--once")
    assert "210 unggahan baru" in first.stdout  # the inactive account's posts are not collected
    digest = cli("digest", "--out", str(tmp_path / "out"))
    [html_path] = [Path(line) for line in digest.stdout.splitlines() if line.endswith(".html")]
    html = html_path.read_text(encoding="utf-8")
    assert html.count("peringatan #") >= 5
    assert "Desa Mekarsari" in html and "<mark" in html

    again = cli("run", "--once")
    assert "0 unggahan baru" in again.stdout  # the cursors remember where each account was
    assert "0 peringatan baru" in again.stdout


def test_force_without_once_is_a_usage_error(database_url: str) -> None:
    result = run_cli("run", "--force", database_url=database_url)
    assert result.returncode == 2
    assert "--once" in result.stderr


def test_db_upgrade_then_current(database_url: str) -> None:
    first = run_cli("db", "upgrade", database_url=database_url)
    assert first.returncode == 0, first.stderr
    current = run_cli("db", "current", database_url=database_url)
    assert current.returncode == 0
    assert "terbaru" in current.stdout


def test_run_with_no_rules_says_where_it_looked(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "rules").mkdir()
    config = tmp_path / "monitor.yaml"
    config.write_text("rules: {paths: [rules]}\n", encoding="utf-8")
    result = run_cli("-c", str(config), "run", "--once", database_url=database_url)
    assert result.returncode == 1
    assert f"tidak ada aturan di {tmp_path / 'rules'}" in result.stderr
