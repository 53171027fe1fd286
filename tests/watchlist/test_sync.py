"""monitor.watchlist.sync: a watchlist file into the database, upserting on platform + handle.
Runs on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.store import Store
from monitor.store.models import AccountRow, AuditRow, PersonRow
from monitor.store.people import list_accounts
from monitor.watchlist.sync import import_watchlist
from tests.conftest import write_lines, write_watchlist

NIP = "198305122009011003"
BUDI_X = f"P01,Budi Santoso,{NIP},Dinas Pendidikan,Guru,Sukamaju,PNS,x,@budi,,ya,ya"
BUDI_IG = f"P01,Budi Santoso,{NIP},Dinas Pendidikan,Guru,Sukamaju,PNS,instagram,budi.ig,,,"
SITI_TT = "P02,Siti Aminah,,Puskesmas Cibening,Bidan,Sukamaju,honorer,tiktok,@siti,,tidak,ya"


def accounts(store: Store) -> list[tuple[Any, ...]]:
    """(platform, handle, person key, person name, verified, active) for every account."""
    with store.session() as session:
        return [
            (
                v.account.platform,
                v.account.handle,
                v.person.key,
                v.person.name,
                v.account.verified,
                v.account.active,
            )
            for v in list_accounts(session)
        ]


def count(store: Store, table: type[Any]) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def audit_rows(store: Store) -> list[AuditRow]:
    with store.session() as session:
        return list(session.scalars(select(AuditRow).order_by(AuditRow.id)))


def test_import_stores_persons_and_their_accounts(store: Store, tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, BUDI_IG, SITI_TT])
    report = import_watchlist(store, path)
    assert report.problems == []
    assert dict(report.persons) == {"new": 2}
    assert dict(report.accounts) == {"new": 3}
    assert accounts(store) == [
        ("instagram", "@budi.ig", "P01", "Budi Santoso", False, True),
        ("tiktok", "@siti", "P02", "Siti Aminah", False, True),
        ("x", "@budi", "P01", "Budi Santoso", True, True),
    ]
    with store.session() as session:
        budi = session.scalars(select(PersonRow).where(PersonRow.key == "P01")).one()
        assert (budi.nip, budi.agency, budi.position, budi.employment_type) == (
            NIP,
            "Dinas Pendidikan",
            "Guru",
            "pns",
        )
        siti = session.scalars(select(PersonRow).where(PersonRow.key == "P02")).one()
        assert siti.employment_type == "non_asn"


def test_importing_the_same_file_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, BUDI_IG, SITI_TT])
    import_watchlist(store, path)
    before = accounts(store)
    report = import_watchlist(store, path)
    assert dict(report.persons) == {"unchanged": 2}
    assert dict(report.accounts) == {"unchanged": 3}
    assert accounts(store) == before
    assert (count(store, PersonRow), count(store, AccountRow)) == (2, 3)


@pytest.mark.parametrize(
    ("changed_row", "persons", "accounts_", "expected"),
    [
        (
            BUDI_X.replace(",ya,ya", ",tidak,tidak"),
            {"unchanged": 1},
            {"updated": 1},
            ("x", "@budi", "P01", "Budi Santoso", False, False),
        ),
        (
            BUDI_X.replace("@budi", "@BUDI"),
            {"unchanged": 1},
            {"updated": 1},
            ("x", "@BUDI", "P01", "Budi Santoso", True, True),
        ),
        (
            BUDI_X.replace("Budi Santoso", '"Budi Santoso, S.Pd."'),
            {"updated": 1},
            {"unchanged": 1},
            ("x", "@budi", "P01", "Budi Santoso, S.Pd.", True, True),
        ),
        (
            BUDI_X.replace("P01,Budi Santoso", "P09,Budi Lain"),
            {"new": 1},
            {"updated": 1},
            ("x", "@budi", "P09", "Budi Lain", True, True),
        ),
    ],
    ids=["flags", "handle-case", "person-field", "moves-to-another-person"],
)
def test_a_changed_row_updates_on_platform_and_handle(
    store: Store,
    tmp_path: Path,
    changed_row: str,
    persons: dict[str, int],
    accounts_: dict[str, int],
    expected: tuple[Any, ...],
) -> None:
    import_watchlist(store, write_watchlist(tmp_path / "v1.csv", [BUDI_X]))
    report = import_watchlist(store, write_watchlist(tmp_path / "v2.csv", [changed_row]))
    assert report.problems == []
    assert (dict(report.persons), dict(report.accounts)) == (persons, accounts_)
    assert accounts(store) == [expected]
    assert count(store, AccountRow) == 1


def test_accounts_missing_from_a_later_file_are_left_as_they_are(
    store: Store, tmp_path: Path
) -> None:
    import_watchlist(store, write_watchlist(tmp_path / "v1.csv", [BUDI_X, SITI_TT]))
    import_watchlist(store, write_watchlist(tmp_path / "v2.csv", [BUDI_IG]))
    assert [(a[0], a[1], a[5]) for a in accounts(store)] == [
        ("instagram", "@budi.ig", True),
        ("tiktok", "@siti", True),
        ("x", "@budi", True),
    ]


def test_a_bad_row_is_reported_and_every_other_row_is_imported(
    store: Store, tmp_path: Path
) -> None:
    bad = "P03,Citra,12345,Dinas Sosial,,,PNS,x,@citra,,,"
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, bad, SITI_TT, BUDI_IG])
    report = import_watchlist(store, path)
    [problem] = report.problems
    assert (problem.path, problem.line, problem.code) == (str(path), 3, "bad-row")
    assert "baris 3" in problem.message
    assert "nip" in problem.message
    assert [a[1] for a in accounts(store)] == ["@budi.ig", "@siti", "@budi"]
    assert count(store, PersonRow) == 2  # Citra's only row was rejected


@pytest.mark.parametrize(
    "duplicate",
    [
        "P03,Citra,,,,,PPPK,x,@budi,,,",
        "P03,Citra,,,,,PPPK,twitter,BUDI,,,",
        "P01,Budi Santoso,,,,,PNS,X,@Budi,,,",
    ],
    ids=["same-handle", "alias-and-case", "same-person"],
)
def test_a_duplicate_account_is_reported_on_its_later_row(
    store: Store, tmp_path: Path, duplicate: str
) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, SITI_TT, duplicate])
    report = import_watchlist(store, path)
    [problem] = report.problems
    assert (problem.line, problem.code) == (4, "duplicate-account")
    assert "baris 2" in problem.message  # where the first one is
    assert "x:" in problem.message
    # the first row wins
    assert ("x", "@budi", "P01", "Budi Santoso", True, True) in accounts(store)
    assert count(store, AccountRow) == 2


def test_the_same_handle_on_two_platforms_is_two_accounts(store: Store, tmp_path: Path) -> None:
    rows = [BUDI_X, BUDI_X.replace(",x,", ",threads,")]
    report = import_watchlist(store, write_watchlist(tmp_path / "daftar.csv", rows))
    assert report.problems == []
    assert [(a[0], a[1]) for a in accounts(store)] == [("threads", "@budi"), ("x", "@budi")]


def test_a_yaml_watchlist_with_a_duplicate_and_a_bad_person(store: Store, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "daftar.yaml",
        [
            "persons:",
            "  - id: P01",
            "    name: Budi Santoso",
            "    employment_type: PNS",
            "    accounts:",
            "      - {platform: x, handle: budi}",
            "      - {platform: instagram, handle: budi.ig, verified: true}",
            "  - name: Siti",  # line 8
            "    employment_type: Wiraswasta",
            "    accounts: [{platform: x, handle: siti}]",
            "  - name: Citra",  # line 11
            "    employment_type: polri",
            "    accounts:",
            "      - {platform: tiktok, handle: citra}",
            "      - {platform: twitter, handle: '@Budi'}",  # line 15: Budi's X account
        ],
    )
    report = import_watchlist(store, path)
    assert sorted((p.line, p.col, p.code) for p in report.problems) == [
        (9, 22, "invalid-value"),
        (15, 9, "duplicate-account"),
    ]
    assert [(a[0], a[1], a[3], a[4]) for a in accounts(store)] == [
        ("instagram", "@budi.ig", "Budi Santoso", True),
        ("tiktok", "@citra", "Citra", False),
        ("x", "@budi", "Budi Santoso", False),
    ]


def test_the_import_is_audited(store: Store, tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, "P02,,,,,,PNS,x,@x,,,", SITI_TT])
    import_watchlist(store, path)
    [row] = audit_rows(store)
    assert (row.action, row.object_type, row.object_id) == ("watchlist.import", "file", str(path))
    assert row.actor
    assert row.details == {
        "persons": {"new": 2},
        "accounts": {"new": 2},
        "rejected_rows": 1,
        "dry_run": False,
    }


def test_a_dry_run_counts_stores_nothing_and_is_audited(store: Store, tmp_path: Path) -> None:
    path = write_watchlist(tmp_path / "daftar.csv", [BUDI_X, BUDI_IG, SITI_TT])
    report = import_watchlist(store, path, dry_run=True)
    assert (dict(report.persons), dict(report.accounts)) == ({"new": 2}, {"new": 3})
    assert (count(store, PersonRow), count(store, AccountRow)) == (0, 0)
    [row] = audit_rows(store)
    assert row.action == "watchlist.import"
    assert row.details["dry_run"] is True
    # and a real import afterwards still finds everything new
    report = import_watchlist(store, path)
    assert dict(report.accounts) == {"new": 3}
    assert [r.details["dry_run"] for r in audit_rows(store)] == [True, False]


def test_a_dry_run_reports_updates_without_making_them(store: Store, tmp_path: Path) -> None:
    import_watchlist(store, write_watchlist(tmp_path / "v1.csv", [BUDI_X]))
    changed = write_watchlist(tmp_path / "v2.csv", [BUDI_X.replace(",ya,ya", ",tidak,tidak")])
    report = import_watchlist(store, changed, dry_run=True)
    assert dict(report.accounts) == {"updated": 1}
    assert accounts(store) == [("x", "@budi", "P01", "Budi Santoso", True, True)]


def test_a_file_with_a_bad_header_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "daftar.csv", ["nama,platform", "Budi,x"])
    report = import_watchlist(store, path)
    assert [(p.line, p.code) for p in report.problems] == [(1, "missing-column")]
    assert count(store, AccountRow) == 0
    [row] = audit_rows(store)
    assert row.details["rejected_rows"] == 1
