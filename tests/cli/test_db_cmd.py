"""``asn-monitor db grant ROLE [--check]`` and ``db upgrade`` as an operator runs them,
in-process, with ``MONITOR_DATABASE_URL`` naming the owner (or the service role). The
PostgreSQL cases use the roles and databases of tests/store/test_grants.py and skip
without a server; the SQLite refusal runs everywhere."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select

from monitor.cli.context import Context
from monitor.cli.db_cmd import db_group
from monitor.store.grants import SQLITE_REFUSAL, planned_tables
from monitor.store.models import AuditRow
from tests.store import test_grants
from tests.store.test_grants import Scratch, _url

owner = test_grants.owner  # the fixtures: a migrated owner role, a database and service role
scratch = test_grants.scratch


def invoke(tmp_path: Path, database_url: str, *args: str) -> Result:
    config = tmp_path / "monitor.yaml"
    if not config.exists():
        config.write_text("var_dir: var\n", encoding="utf-8")
    env = {"MONITOR_DATABASE_URL": database_url, "MONITOR_ACTOR": "andi"}
    return CliRunner().invoke(db_group, list(args), obj=Context(str(config)), env=env)


@pytest.mark.parametrize("args", [["grant", "asnmon"], ["grant", "--check", "asnmon"]])
def test_grant_refuses_sqlite_and_says_why(tmp_path: Path, args: list[str]) -> None:
    database = tmp_path / "var" / "asn-monitor.db"
    result = invoke(tmp_path, f"sqlite:///{database}", *args)
    assert result.exit_code == 1
    assert result.stderr == f"galat: {SQLITE_REFUSAL}\n"
    assert result.stdout == ""
    assert not database.exists()  # not even created


def test_check_fails_before_grant_and_passes_after(scratch: Scratch, tmp_path: Path) -> None:
    role = scratch.service
    before = invoke(tmp_path, scratch.owner_url, "grant", "--check", role)
    assert before.exit_code == 1
    assert "  kurang  tabel audit_log " in before.stdout
    assert f"masalah pada peran {role!r}; jalankan 'asn-monitor db grant {role}'" in before.stderr

    done = invoke(tmp_path, scratch.owner_url, "grant", role)
    assert done.exit_code == 0, done.output
    listed = {
        line.split()[1]: line.split(None, 2)[2].strip()
        for line in done.stdout.splitlines()
        if line.startswith("  tabel ")
    }
    assert listed == {t: ", ".join(p) for t, p in planned_tables().items()}
    assert listed["audit_log"] == "SELECT, INSERT"
    assert f"Jalankan lagi 'asn-monitor db grant {role}' setelah setiap" in done.stdout
    assert f"hak peran {role!r} sesuai" in done.stdout

    for url in (scratch.owner_url, scratch.service_url):  # the service role may ask too
        after = invoke(tmp_path, url, "grant", "--check", role)
        assert after.exit_code == 0, after.output
        assert after.stdout.startswith(f"hak peran {role!r} sesuai: ")

    engine = create_engine(scratch.owner_url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(
                select(AuditRow.actor, AuditRow.object_id).where(AuditRow.action == "db.grant")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(e) for e in entries] == [("andi", role)]


@pytest.mark.parametrize(
    ("runner", "args", "stderr"),
    [
        # who runs it  arguments                      stderr begins
        ("owner",   ["grant", "{missing}"],            "galat: peran PostgreSQL '{missing}' tidak"),
        ("owner",   ["grant", "--check", "{missing}"], "galat: peran PostgreSQL '{missing}' tidak"),
        ("owner",   ["grant", "{owner}"],              "galat: peran '{owner}' memiliki basis"),
        ("service", ["grant", "{service}"],            "galat: 'db grant' harus dijalankan"),
        ("owner",   ["grant", "--check", "{owner}"],   "galat: 5 masalah pada peran '{owner}';"),
    ],
)  # fmt: skip
def test_grant_refusals(
    scratch: Scratch, tmp_path: Path, runner: str, args: list[str], stderr: str
) -> None:
    names = {
        "missing": f"asnmon_nobody_{uuid.uuid4().hex[:8]}",
        "owner": scratch.owner,
        "service": scratch.service,
    }
    url = scratch.owner_url if runner == "owner" else scratch.service_url
    result = invoke(tmp_path, url, *(a.format(**names) for a in args))
    assert result.exit_code == 1
    assert result.stderr.startswith(stderr.format(**names)), result.stderr


def test_upgrade_as_the_service_role_names_the_owner(scratch: Scratch, tmp_path: Path) -> None:
    empty = scratch.create_database()
    result = invoke(tmp_path, _url(empty, scratch.service), "upgrade")
    assert result.exit_code == 1
    assert "peran ini tidak berhak menjalankan migrasi (permission denied for schema public)" in (
        result.stderr
    )
    assert "jalankan 'db upgrade' sebagai peran pemilik basis data" in result.stderr
    owner_run = invoke(tmp_path, _url(empty, scratch.owner), "upgrade")
    assert owner_run.exit_code == 0, owner_run.output
    assert "skema dinaikkan dari kosong ke" in owner_run.stdout
