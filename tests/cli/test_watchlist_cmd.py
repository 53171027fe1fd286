"""``asn-monitor watchlist import|list|export``, run as a user runs it (a subprocess).

The detailed tables live in tests/watchlist; these show what the command prints and
returns. Each runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from monitor.store import Store
from monitor.store.models import AuditRow
from tests.conftest import run_cli, write_lines, write_watchlist

NIP = "198305122009011003"
ROWS = [
    f"P01,Budi Santoso,{NIP},Dinas Pendidikan,Guru,Sukamaju,PNS,twitter,budi,,ya,ya",
    f'P01,Budi Santoso,{NIP},"Dinas Pendidikan",,,PNS,instagram,@budi.ig,,,tidak',
    "P02,Siti Aminah,,Puskesmas Cibening,Bidan,Sukamaju,honorer,tiktok,@siti,,,",
]


def test_import_reports_a_bad_row_by_number_and_imports_the_rest(
    database_url: str, tmp_path: Path
) -> None:
    bad = "P03,Citra,12345,Dinas Sosial,,,PNS,x,@citra,,,"
    path = write_watchlist(tmp_path / "daftar.csv", [ROWS[0], bad, *ROWS[1:]])
    result = run_cli("watchlist", "import", str(path), database_url=database_url)
    assert result.returncode == 1
    assert f"{path}:3: error: baris 3: kolom 'nip'" in result.stderr
    assert "[bad-row]" in result.stderr
    assert "3 akun baru" in result.stdout
    assert "2 orang baru" in result.stdout
    assert "1 baris ditolak" in result.stdout

    listed = run_cli("watchlist", "list", database_url=database_url)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[-1] == "3 akun"
    assert len(lines) == 4
    assert "@citra" not in listed.stdout
    budi_ig = next(line for line in lines if "@budi.ig" in line)
    assert "Budi Santoso (PNS, Dinas Pendidikan)" in budi_ig
    assert "[tidak aktif]" in budi_ig
    siti = next(line for line in lines if "@siti" in line)
    assert "Siti Aminah (Non-ASN, Puskesmas Cibening)" in siti


def test_import_of_a_clean_yaml_file_then_again(database_url: str, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "daftar.yaml",
        [
            "persons:",
            "  - id: P01",
            "    name: Budi Santoso",
            "    employment_type: PNS",
            "    accounts:",
            "      - {platform: x, handle: budi}",
            "      - {platform: youtube, handle: UCbudi}",
        ],
    )
    first = run_cli("watchlist", "import", str(path), database_url=database_url)
    assert first.returncode == 0
    assert str(path) not in first.stderr  # no problem reported (logs may go to stderr)
    assert "2 akun baru" in first.stdout
    assert "0 baris ditolak" in first.stdout
    second = run_cli("watchlist", "import", str(path), database_url=database_url)
    assert second.returncode == 0
    assert "0 akun baru, 0 diperbarui, 2 tetap" in second.stdout


def test_import_of_yaml_locates_problems_and_imports_other_persons(
    database_url: str, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path / "daftar.yaml",
        [
            "persons:",
            "  - name: Budi",
            "    employment_type: PNS",
            "    accounts: [{platform: x, handle: budi}]",
            "  - name: Siti",
            "    employment_type: Pegawai Swasta",
            "    jabatan: Staf",
            "    accounts: [{platform: x, handle: siti}]",
            "  - employment_type: TNI",
            "    accounts: [{platform: x, handle: tanpa_nama}]",
        ],
    )
    result = run_cli("watchlist", "import", str(path), database_url=database_url)
    assert result.returncode == 1
    assert f"{path}:6:22: error: " in result.stderr
    assert "Pegawai Swasta" in result.stderr
    assert f"{path}:7:5: error: " in result.stderr
    assert "[unknown-key]" in result.stderr
    assert f"{path}:9:5: error: " in result.stderr
    assert "[missing-key]" in result.stderr
    assert "1 akun baru" in result.stdout
    listed = run_cli("watchlist", "list", database_url=database_url)
    assert "@budi" in listed.stdout
    assert listed.stdout.splitlines()[-1] == "1 akun"


def test_a_bad_header_stops_the_import(database_url: str, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "daftar.csv", ["nama,instansi,platform", "Budi,Dinas,x"])
    result = run_cli("watchlist", "import", str(path), database_url=database_url)
    assert result.returncode == 1
    assert f"{path}:1: error: kolom wajib tidak ada: employment_type, handle" in result.stderr
    assert "0 akun baru" in result.stdout


def test_a_dry_run_stores_nothing(database_url: str, tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", ROWS)
    result = run_cli("watchlist", "import", "--dry-run", str(path), database_url=database_url)
    assert result.returncode == 0
    assert result.stdout.startswith("(uji coba, tidak disimpan) ")
    assert "3 akun baru" in result.stdout
    listed = run_cli("watchlist", "list", database_url=database_url)
    assert listed.returncode == 0
    assert "daftar pantauan kosong" in listed.stdout


def test_import_of_a_missing_file_is_a_usage_error(database_url: str, tmp_path: Path) -> None:
    result = run_cli("watchlist", "import", str(tmp_path / "hilang.csv"), database_url=database_url)
    assert result.returncode == 2
    assert "hilang.csv" in result.stderr


def test_list_filters(database_url: str, store: Store, tmp_path: Path) -> None:
    from monitor.watchlist.sync import import_watchlist

    import_watchlist(store, write_watchlist(tmp_path / "daftar.csv", ROWS))
    on_x = run_cli("watchlist", "list", "--platform", "x", database_url=database_url)
    assert on_x.returncode == 0
    assert "@budi " in on_x.stdout
    assert on_x.stdout.splitlines()[-1] == "1 akun"
    active = run_cli("watchlist", "list", "--active-only", database_url=database_url)
    assert "@budi.ig" not in active.stdout
    assert active.stdout.splitlines()[-1] == "2 akun"


def test_export_then_import_into_a_fresh_database(
    database_url: str, fresh_database_url: str, tmp_path: Path
) -> None:
    source = write_watchlist(tmp_path / "daftar.csv", ROWS)
    assert run_cli("watchlist", "import", str(source), database_url=database_url).returncode == 0
    original = run_cli("watchlist", "list", database_url=database_url).stdout

    as_csv = run_cli("watchlist", "export", database_url=database_url)
    assert as_csv.returncode == 0
    assert as_csv.stdout.splitlines()[0].startswith("person_id,name,nip,")
    assert len(as_csv.stdout.splitlines()) == 4

    out = tmp_path / "ekspor.yaml"
    as_yaml = run_cli(
        "watchlist", "export", "--format", "yaml", "--out", str(out), database_url=database_url
    )
    assert as_yaml.returncode == 0
    assert as_yaml.stdout == ""
    assert f"3 akun ditulis ke {out}" in as_yaml.stderr
    assert out.read_text(encoding="utf-8").startswith("persons:")

    imported = run_cli("watchlist", "import", str(out), database_url=fresh_database_url)
    assert imported.returncode == 0, imported.stderr
    assert "3 akun baru" in imported.stdout
    assert run_cli("watchlist", "list", database_url=fresh_database_url).stdout == original

    store = Store(database_url)
    try:
        with store.session() as session:
            actions = session.scalars(select(AuditRow.action).order_by(AuditRow.id)).all()
    finally:
        store.dispose()
    assert actions == ["watchlist.import", "watchlist.export", "watchlist.export"]
