"""``asn-monitor alerts ...`` run as a reviewer runs it (a subprocess), on alerts the
pipeline raised; the time-dependent list (days left, --overdue) in-process under a frozen
clock."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select

from monitor.alerts.lifecycle import Confirm, Dismiss, review
from monitor.cli.alerts_cmd import alerts_group
from monitor.cli.context import Context
from monitor.store import Store
from monitor.store.models import AlertEventRow, AuditRow
from tests.alerts.helpers import POSTS, T0, add_posts, raise_alerts
from tests.conftest import CliResult, post_line, run_cli


@pytest.fixture
def ids(store: Store, tmp_path: Path) -> dict[str, int]:
    """Alerts for posts 1 (@ani, Dinas 0, critical), 2 (@budi, Dinas 1, high) and
    4 (@dedi, Dinas 1, critical), raised at 10.00 WIB on 20 November 2024."""
    return raise_alerts(store, tmp_path)


def alerts(tmp_path: Path, database_url: str, *args: str, actor: str = "siti") -> CliResult:
    return run_cli(
        "-c",
        str(tmp_path / "monitor.yaml"),
        "alerts",
        *args,
        database_url=database_url,
        cwd=tmp_path,
        env={"MONITOR_ACTOR": actor},
    )


def audited(store: Store) -> list[tuple[str, str, str | None]]:
    with store.session() as session:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.object_type == "alert").order_by(AuditRow.id)
        )
        return [(r.action, r.actor, r.object_id) for r in rows]


def test_a_review_from_the_list_to_the_referral(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    one, two = str(ids["1"]), str(ids["2"])
    listed = alerts(tmp_path, database_url, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "Status", "Tingkat", "Kategori"]
    assert "Orang 0 / Dinas 0" in listed.stdout
    assert "x:@ani" in listed.stdout
    assert lines[-1] == "3 peringatan"

    confirmed = alerts(
        tmp_path, database_url, "confirm", one, "--category", "support", "--note", "ajakan"
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.splitlines()[0] == (
        f"peringatan #{one}: Baru -> Dikonfirmasi (Dukungan kepada pasangan calon) oleh siti"
    )
    assert "tenggat temuan: Rabu, 27 November 2024" in confirmed.stdout

    dismissed = alerts(
        tmp_path, database_url, "dismiss", two, "--reason", "not_asn", "--label",
        "political_neutral", "--reviewer", "budi",
    )  # fmt: skip
    assert dismissed.returncode == 0, dismissed.stderr
    assert dismissed.stdout.strip() == (
        f"peringatan #{two}: Baru -> Ditolak (akun bukan milik ASN/terlapor) oleh budi"
    )

    escalated = alerts(tmp_path, database_url, "escalate", one, "--to", "BKN", "--ref", "7/PP")
    assert escalated.returncode == 0, escalated.stderr
    assert escalated.stdout.strip() == (
        f"peringatan #{one}: Dikonfirmasi -> Diteruskan ke BKN (Badan Kepegawaian Negara), "
        "surat 7/PP oleh siti"
    )
    reopened = alerts(tmp_path, database_url, "reopen", two, "--note", "ternyata ASN")
    assert reopened.returncode == 0, reopened.stderr
    assert reopened.stdout.strip() == f"peringatan #{two}: Ditolak -> Baru oleh siti"

    only = alerts(tmp_path, database_url, "list", "--status", "escalated")
    assert [line.split()[0] for line in only.stdout.splitlines()[1:-1]] == [one]
    assert only.stdout.splitlines()[-1] == "1 peringatan"

    shown = alerts(tmp_path, database_url, "show", one)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.startswith(f"Peringatan #{one}: Diteruskan (escalated)\n")
    assert "│ besok [serangan fajar] di posko 7" in out
    assert "(cocok)" in out
    assert "diteruskan ke: BKN (Badan Kepegawaian Negara), surat 7/PP" in out
    assert "akun         : x:@ani (terverifikasi)" in out
    assert 'aturan money.dawn: Serangan fajar (Kritis) kata: "serangan fajar"' in out
    history = out.split("Riwayat\n")[1].splitlines()
    assert [line.split(" WIB ")[1] for line in history] == [
        "siti: dikonfirmasi (Baru -> Dikonfirmasi): ajakan",
        "siti: diteruskan (Dikonfirmasi -> Diteruskan)",
    ]
    assert audited(store) == [
        ("alert.confirm", "siti", one),
        ("alert.dismiss", "budi", two),
        ("alert.escalate", "siti", one),
        ("alert.reopen", "siti", two),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "999"], "galat: peringatan #999: tidak ditemukan"),
        (["confirm", "abc"], "galat: ID peringatan 'abc' bukan angka"),
        (["escalate", "{1}", "--to", "bkn"], "berstatus Baru (new), tidak bisa diteruskan"),
        (["dismiss", "{1}"], "galat: peringatan #{1}, --reason: alasan wajib diisi"),
        (["dismiss", "{1}", "--reason", "other"], "peringatan #{1}, --note: alasan \"lainnya\""),
        (["dismiss", "{1}", "--reason", "duplicate", "--label", "x"], "--label: label 'x'"),
        (["reopen", "{1}"], "berstatus Baru (new), tidak bisa dibuka kembali (peringatan ini"),
        (["reopen", "{c}"], "peringatan #{c}, --note: membuka kembali memerlukan catatan"),
        (["confirm", "{1}", "--category", "non_political"], "#{1}, --category: kategori"),
        (["escalate", "{c}", "--to", ""], "#{c}, --to: tujuan penerusan wajib diisi"),
        (["escalate", "{c}"], "#{c}, --to: tujuan penerusan wajib diisi"),
        (["list", "--status", "baru"], "galat: --status 'baru' tidak dikenal"),
        (["list", "--severity", "tinggi"], "galat: --severity 'tinggi' tidak dikenal"),
        (["list", "--since", "kemarin"], "galat: --since 'kemarin' bukan tanggal YYYY-MM-DD"),
        (["list", "--overdue", "--status", "dismissed"], "--overdue hanya berlaku"),
        (["export", "999"], "galat: peringatan #999: tidak ditemukan"),
    ],
    ids=[
        "unknown-id", "not-a-number", "escalate-new", "dismiss-no-reason",
        "dismiss-other-no-note", "dismiss-bad-label", "reopen-new", "reopen-no-note",
        "confirm-non-violation", "escalate-empty", "escalate-no-target", "list-bad-status",
        "list-bad-severity", "list-bad-since", "list-overdue-closed", "export-unknown",
    ],
)  # fmt: skip
def test_refusals_exit_1_with_a_clear_message(
    store: Store,
    database_url: str,
    tmp_path: Path,
    ids: dict[str, int],
    args: list[str],
    message: str,
) -> None:
    one, confirmed = str(ids["1"]), str(ids["4"])
    review(store, ids["4"], Confirm(), now=T0)

    def fill(text: str) -> str:
        return text.replace("{1}", one).replace("{c}", confirmed)

    result = alerts(tmp_path, database_url, *[fill(a) for a in args])
    assert result.returncode == 1
    assert fill(message) in result.stderr
    assert [action for action, _, _ in audited(store)] == ["alert.confirm"]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AlertEventRow)) == 1


def test_confirming_twice_names_the_first_reviewer(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    one = str(ids["1"])
    assert alerts(tmp_path, database_url, "confirm", one, actor="budi").returncode == 0
    again = alerts(tmp_path, database_url, "confirm", one)
    assert again.returncode == 1
    assert again.stderr.strip().endswith(
        f"galat: peringatan #{one}: berstatus Dikonfirmasi (confirmed), tidak bisa "
        "dikonfirmasi (sudah dikonfirmasi oleh budi)"
    )


def test_export_writes_a_bundle_that_verifies(
    store: Store, database_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    one = str(ids["1"])
    result = alerts(tmp_path, database_url, "export", one, "--out", str(tmp_path / "ekspor"))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.splitlines()[0])
    assert path.parent == tmp_path / "ekspor"
    assert path.name.startswith(f"alert-{one}-") and path.suffix == ".zip"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["generated_by"] == "siti"
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
    manifest_sha256 = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert f"SHA-256 manifest.json {manifest_sha256}" in result.stdout
    assert f"SHA-256 zip {hashlib.sha256(path.read_bytes()).hexdigest()}" in result.stdout
    assert audited(store) == [("alert.export", "siti", one)]

    default = alerts(tmp_path, database_url, "export", one)  # var/exports by default
    assert default.returncode == 0, default.stderr
    assert Path(default.stdout.splitlines()[0]) == tmp_path / "var" / "exports" / path.name


# --- the list under a frozen clock ------------------------------------------------------

#: 10.00 WIB on Thursday 28 November: the alerts of 20 November are one day overdue
NOW = T0 + timedelta(days=8)


@pytest.fixture
def queue(store: Store, tmp_path: Path) -> dict[str, int]:
    """Posts 1 (@ani, Dinas 0, critical), 2 (@budi, Dinas 1, high) and 4 (@dedi, Dinas 1,
    critical) raised a minute apart from 10.00 WIB on 20 November; 5 (@eka, Dinas 0,
    critical) and 6 (@citra, Dinas 0, high) three days later. Post 1 is confirmed, post 2
    dismissed."""
    by_post = {line: json.loads(line)["id"] for line in POSTS}
    raise_alerts(store, tmp_path, posts=[line for line in POSTS if by_post[line] == "1"])
    later = [
        (POSTS[1], T0 + timedelta(minutes=1)),
        (POSTS[3], T0 + timedelta(minutes=2)),
        (post_line("5", "serangan fajar lagi", author="@eka"), T0 + timedelta(days=3)),
        (post_line("6", "ayo coblos nomor 1", author="@citra"), T0 + timedelta(days=3, hours=1)),
    ]
    for line, at in later:
        ids = add_posts(store, tmp_path, [line], at)
    review(store, ids["1"], Confirm(), now=T0)
    review(store, ids["2"], Dismiss("duplicate"), now=T0)
    return ids


@pytest.mark.parametrize(
    ("args", "posts"),
    [
        ([], ["6", "5", "4", "2", "1"]),
        (["--overdue"], ["4", "1"]),
        (["--status", "new"], ["6", "5", "4"]),
        (["--status", "confirmed", "--status", "dismissed"], ["2", "1"]),
        (["--agency", "DINAS 1"], ["4", "2"]),
        (["--severity", "critical"], ["5", "4", "1"]),
        (["--severity", "high"], ["6", "5", "4", "2", "1"]),
        (["--since", "2024-11-23"], ["6", "5"]),
        (["--since", "2024-11-24"], []),
        (["--limit", "2"], ["6", "5"]),
        (["--overdue", "--agency", "dinas 0", "--severity", "critical"], ["1"]),
    ],
    ids=[
        "all-newest-first", "overdue", "status", "two-statuses", "agency", "critical",
        "high-and-above", "since", "since-none", "limit", "combined",
    ],
)  # fmt: skip
def test_list_filters(
    database_url: str, tmp_path: Path, queue: dict[str, int], args: list[str], posts: list[str]
) -> None:
    by_alert = {str(alert_id): post for post, alert_id in queue.items()}
    result = invoke(tmp_path, database_url, "list", *args)
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.stdout.splitlines()[1:-1]]
    assert [by_alert[row] for row in rows] == posts
    if not posts:
        assert result.stdout.strip() == "tidak ada peringatan yang cocok"


def test_list_shows_days_left(database_url: str, tmp_path: Path, queue: dict[str, int]) -> None:
    result = invoke(tmp_path, database_url, "list", "--limit", "4")
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:-1]}
    assert rows[str(queue["5"])].endswith("2024-11-23 10.00  sisa 2 hari")
    assert rows[str(queue["4"])].endswith("2024-11-20 10.02  lewat 1 hari")
    assert rows[str(queue["2"])].endswith("2024-11-20 10.01  -")  # dismissed: nothing due
    assert (
        result.stdout.splitlines()[-1]
        == "4 peringatan (dari 5; naikkan --limit untuk melihat semua)"
    )


def invoke(tmp_path: Path, database_url: str, *args: str):  # type: ignore[no-untyped-def]
    ctx = Context(str(tmp_path / "monitor.yaml"))
    with time_machine.travel(NOW, tick=False):
        return CliRunner().invoke(
            alerts_group, list(args), obj=ctx, env={"MONITOR_DATABASE_URL": database_url}
        )
