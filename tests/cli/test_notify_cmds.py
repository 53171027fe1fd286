"""``digest --send``, ``digest --notify``, ``deliver`` and ``status`` as a user runs them,
with a file-drop notifier (the e-mail lands in a folder) and a webhook that is down."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from monitor.store import Store
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line, run_cli
from tests.service.helpers import make_project


@pytest.fixture
def project(tmp_path: Path, store: Store, httpserver: HTTPServer) -> Path:
    posts = [
        post_line("1", "besok serangan fajar di posko 7", author="@ani"),
        post_line("2", "ayo coblos nomor 2 ya", author="@budi"),
    ]
    config = make_project(tmp_path, posts=posts)
    import_watchlist(store, tmp_path / "watchlist.csv")
    with config.open("a", encoding="utf-8") as out:
        out.write(
            f"""\
notifiers:
  kotak:
    type: file
    dir: kotak
  hook:
    type: webhook
    url: "{httpserver.url_for("/hook")}"
digest:
  notifiers: [kotak, hook]
notices:
  notifiers: [kotak]
"""
        )
    return config


def test_run_notices_the_critical_alert_into_the_file_drop(
    project: Path, database_url: str
) -> None:
    result = run_cli("-c", str(project), "run", "--once", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "terkirim: 1 pesan" in result.stdout
    [eml] = (project.parent / "kotak").glob("notice_*.eml")
    assert "Politik uang" in eml.read_text(encoding="utf-8")


def test_send_the_due_digest_once_and_retry_the_failed_webhook(
    project: Path, database_url: str, httpserver: HTTPServer
) -> None:
    assert run_cli("-c", str(project), "run", "--once", database_url=database_url).returncode == 0
    httpserver.expect_request("/hook").respond_with_data("sibuk", status=503)
    # run at 10:00 WIB on a day: the due digest covers the day before 07:00 of that day
    now = "2030-01-02T10:00:00+07:00"
    sent = run_cli("-c", str(project), "digest", "--send", "--now", now, database_url=database_url)
    assert sent.returncode == 0, sent.stderr
    assert "ringkasan 2030-01-01 07.00 - 2030-01-02 07.00 WIB" in sent.stdout
    assert "2 menunggu tinjauan" in sent.stdout
    assert "terkirim: 1 pesan" in sent.stdout  # the file drop
    assert "hook" in sent.stderr and "503" in sent.stderr
    assert len(list((project.parent / "kotak").glob("digest_*.eml"))) == 1

    again = run_cli("-c", str(project), "digest", "--send", "--now", now, database_url=database_url)
    assert "ringkasan terakhir sudah dikirim; berikutnya 2030-01-03 07.00 WIB" in again.stdout
    assert len(list((project.parent / "kotak").glob("digest_*.eml"))) == 1

    status = run_cli("-c", str(project), "status", database_url=database_url)
    assert status.returncode == 0, status.stderr
    assert "Kotak keluar: 1 menunggu" in status.stdout
    assert "hook" in status.stdout and "503" in status.stdout
    assert "Antrean deteksi: 0 unggahan, 0 versi suntingan belum diperiksa" in status.stdout
    assert "Peringatan menunggu tinjauan: 2" in status.stdout


def test_notify_sends_a_days_digest_once(project: Path, database_url: str) -> None:
    assert run_cli("-c", str(project), "run", "--once", database_url=database_url).returncode == 0
    first = run_cli(
        "-c", str(project), "digest", "--date", "2030-01-01", "--notify",
        database_url=database_url,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = run_cli(
        "-c", str(project), "digest", "--date", "2030-01-01", "--notify",
        database_url=database_url,
    )  # fmt: skip
    assert "sudah pernah dikirim ke: hook, kotak" in second.stdout
    assert len(list((project.parent / "kotak").glob("digest-day_*.eml"))) == 1


def test_deliver_with_nothing_due(project: Path, database_url: str) -> None:
    result = run_cli("-c", str(project), "deliver", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "tidak ada pesan yang jatuh tempo" in result.stdout
