"""The service's PostgreSQL role (``monitor.store.grants``): after ``grant_privileges`` it
reads and writes rows and appends to the audit log, and can do nothing else, where the
owner, for contrast, can. On a real PostgreSQL server only (``MONITOR_TEST_DATABASE_URL``,
trust authentication); skipped without one, like the PostgreSQL half of the
``database_url`` tests.

The migrations run as a fresh owner role in a database it owns, as deploy/INSTALL.md sets
it up. Every role and database has a unique name, so xdist workers do not clash, and is
dropped at the end even when a test fails (roles are cluster-wide)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from monitor.alerts.lifecycle import Confirm, Dismiss, review
from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.grants import (
    SEQUENCE_PRIVILEGES,
    SQLITE_REFUSAL,
    ObjectPrivileges,
    PrivilegeReport,
    check_privileges,
    grant_privileges,
    planned_tables,
)
from monitor.store.models import (
    AccountRow,
    AlertRow,
    AuditRow,
    Base,
    DecisionRow,
    PersonRow,
    PostRow,
)
from tests.conftest import PG_ENV, _pg_admin_url

#: role names that need quoting: upper case, space, double quote, and '%' and ':', which
#: mean something to the driver and to SQLAlchemy's text()
ODD = 'asnmon-Svc "x" %s:y'


def _url(database: str, role: str | None = None) -> str:
    """The admin URL on ``database``; as ``role`` (no password: trust) when given."""
    admin = _pg_admin_url()
    assert admin is not None
    url = make_url(admin).set(database=database)
    if role is not None:
        url = url.set(username=role, password=None)
    return url.render_as_string(hide_password=False)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql(url_or_engine: str | Engine, statement: str) -> None:
    engine = (
        create_engine(url_or_engine, isolation_level="AUTOCOMMIT")
        if isinstance(url_or_engine, str)
        else url_or_engine
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            conn.commit()
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


@dataclass(frozen=True)
class Owner:
    """A login role that ran the migrations in ``template``, a database it owns."""

    admin: Engine
    role: str
    template: str


@dataclass
class Scratch:
    """A database copied from the owner's template, and a service role without grants."""

    admin: Engine
    owner: str
    service: str
    database: str
    databases: list[str] = field(default_factory=list)  # more, dropped at the end

    @property
    def owner_url(self) -> str:
        return _url(self.database, self.owner)

    @property
    def service_url(self) -> str:
        return _url(self.database, self.service)

    @property
    def admin_url(self) -> str:
        return _url(self.database)

    def create_database(self) -> str:
        """An empty database owned by the owner, dropped at the end; its name."""
        name = f"{self.database}_e{len(self.databases)}"
        _sql(self.admin, f"CREATE DATABASE {name} OWNER {self.owner}")
        self.databases.append(name)
        return name


@pytest.fixture(scope="module")
def owner(pg_template: str | None) -> Iterator[Owner]:
    if pg_template is None:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run these tests on it")
    admin_url = _pg_admin_url()
    assert admin_url is not None
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    role, template = f"asnmon_owner_{suffix}", f"asnmon_gtpl_{suffix}"
    try:
        _sql(admin, f"CREATE ROLE {role} LOGIN")
        _sql(admin, f"CREATE DATABASE {template} OWNER {role}")
        store = Store(_url(template, role))
        try:
            store.upgrade()
        finally:
            store.dispose()
        yield Owner(admin, role, template)
    finally:
        _sql(admin, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        _sql(admin, f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def make_scratch(owner: Owner) -> Iterator[Scratch]:
    suffix = uuid.uuid4().hex[:12]
    scratch = Scratch(owner.admin, owner.role, f"{ODD} {suffix[:8]}", f"asnmon_g_{suffix}")
    try:
        _sql(owner.admin, f"CREATE ROLE {_quote(scratch.service)} LOGIN")
        _sql(
            owner.admin,
            f"CREATE DATABASE {scratch.database} TEMPLATE {owner.template} OWNER {owner.role}",
        )
        yield scratch
    finally:
        for name in [scratch.database, *scratch.databases]:
            _sql(owner.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _sql(owner.admin, f"DROP ROLE IF EXISTS {_quote(scratch.service)}")


@pytest.fixture
def scratch(owner: Owner) -> Iterator[Scratch]:
    """A fresh database, and a service role (its name needs quoting) with no grants yet."""
    yield from make_scratch(owner)


def grant(url: str, role: str) -> list[ObjectPrivileges]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return grant_privileges(conn, role)
    finally:
        engine.dispose()


def report(url: str, role: str) -> PrivilegeReport:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return check_privileges(conn, role)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def granted(owner: Owner) -> Iterator[Scratch]:
    """One database whose service role got ``grant_privileges`` from the owner. The tests
    that share it roll back what they do."""
    for scratch in make_scratch(owner):
        grant(scratch.owner_url, scratch.service)
        yield scratch


def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def service_engine(granted: Scratch) -> Iterator[Engine]:
    yield from _engine(granted.service_url)


@pytest.fixture(scope="module")
def owner_engine(granted: Scratch) -> Iterator[Engine]:
    yield from _engine(granted.owner_url)


# -- what the service role may do -------------------------------------------------------

T0 = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)


def seed(session: Session) -> AlertRow:
    """A person, an account, a post, its decision and an alert, through the ORM."""
    person = PersonRow(key="P1", name="Agus", employment_type="PNS")
    account = AccountRow(platform="x", handle="@agus", handle_key="agus", person=person)
    post = PostRow(
        platform="x", post_id="1", account=account, author="@agus", created_at=T0,
        text="serangan fajar", payload="{}", payload_sha256="0" * 64, collector="test",
        collector_version="1",
    )  # fmt: skip
    session.add_all([person, account, post])
    session.flush()
    decision = DecisionRow(post_id=post.id, flagged=True, category="money_politics")
    session.add(decision)
    session.flush()
    alert = AlertRow(post_id=post.id, decision_id=decision.id, status="new")
    session.add(alert)
    session.flush()
    return alert


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def insert_rows(session: Session) -> int:
    seed(session)
    return min(_count(session, m) for m in (PersonRow, AccountRow, PostRow, AlertRow))


def append_audit(session: Session) -> int:
    audit(session, "test.grant", actor="tester", object_type="alert", object_id=1)
    session.flush()
    return len(session.scalars(select(AuditRow).where(AuditRow.action == "test.grant")).all())


def update_alert(session: Session) -> int:
    alert = seed(session)
    session.execute(update(AlertRow).where(AlertRow.id == alert.id).values(status="confirmed"))
    return len(session.scalars(select(AlertRow).where(AlertRow.status == "confirmed")).all())


def delete_alert_and_post(session: Session) -> int:
    alert = seed(session)
    post_id, decision_id = alert.post_id, alert.decision_id
    session.execute(delete(AlertRow).where(AlertRow.id == alert.id))
    session.execute(delete(DecisionRow).where(DecisionRow.id == decision_id))
    session.execute(delete(PostRow).where(PostRow.id == post_id))
    return 1 - _count(session, PostRow)


def read_revision(session: Session) -> int:
    return len(session.execute(text("SELECT version_num FROM alembic_version")).all())


def next_id(session: Session) -> int:
    return 1 if session.execute(text("SELECT nextval('posts_id_seq')")).scalar() else 0


@pytest.mark.parametrize(
    "work",
    [
        # the service's work, as the service role; each returns 1 when it did its job
        pytest.param(insert_rows,           id="insert person, account, post, decision, alert"),
        pytest.param(append_audit,          id="insert an audit row (monitor.store.audit)"),
        pytest.param(update_alert,          id="update an alert"),
        pytest.param(delete_alert_and_post, id="delete an alert and its post"),
        pytest.param(read_revision,         id="read alembic_version"),
        pytest.param(next_id,               id="nextval on a sequence"),
    ],
)  # fmt: skip
def test_the_service_role_does_its_work(
    service_engine: Engine, work: Callable[[Session], int]
) -> None:
    with Session(service_engine) as session:
        try:
            assert work(session) == 1
        finally:
            session.rollback()


# -- what it may not do, where the owner may --------------------------------------------


def outcome(conn: Connection, statement: str) -> str:
    """'ok', or why PostgreSQL refused: 'denied' (insufficient privilege, 42501),
    'append-only' (the audit log's trigger), 'depends' (other objects depend on it)."""
    try:
        conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state == "42501":
            return "denied"
        if state == "P0001" and "append-only" in str(exc.orig):
            return "append-only"
        if state == "2BP01":
            return "depends"
        return f"{state}: {exc.orig}"
    return "ok"


REPLACE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$"
)


@pytest.mark.parametrize(
    ("statement", "as_owner", "as_service"),
    [
        # statement                                           as owner       as service
        ("UPDATE audit_log SET actor = 'x'",                   "append-only", "denied"),
        ("DELETE FROM audit_log",                              "append-only", "denied"),
        ("TRUNCATE audit_log",                                 "ok",          "denied"),
        ("DROP TRIGGER audit_log_no_change ON audit_log",      "ok",          "denied"),
        ("ALTER TABLE audit_log DISABLE TRIGGER ALL",          "ok",          "denied"),
        ("ALTER TABLE audit_log ADD COLUMN note text",         "ok",          "denied"),
        (REPLACE_FUNCTION,                                     "ok",          "denied"),
        ("DROP TABLE posts",                                   "depends",     "denied"),
        ("DROP TABLE posts CASCADE",                           "ok",          "denied"),
        ("DROP TABLE audit_log",                               "ok",          "denied"),
        # PostgreSQL 15 and later: PUBLIC may no longer CREATE in schema public
        ("CREATE TABLE x (id integer)",                        "ok",          "denied"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "ok",  "denied"),
        ("UPDATE alembic_version SET version_num = 'x'",       "ok",          "denied"),
        ("SELECT setval('posts_id_seq', 1)",                   "ok",          "denied"),
        ("SET ROLE {owner}",                                   "ok",          "denied"),
    ],
)  # fmt: skip
def test_only_the_owner_can_change_the_schema_or_the_audit_log(
    granted: Scratch,
    owner_engine: Engine,
    service_engine: Engine,
    statement: str,
    as_owner: str,
    as_service: str,
) -> None:
    statement = statement.format(owner=granted.owner)
    results = []
    for engine in (owner_engine, service_engine):
        with engine.connect() as conn:
            conn.execute(  # a row for UPDATE and DELETE to meet; rolled back with the rest
                text(
                    "INSERT INTO audit_log (at, actor, action, details) "
                    "VALUES (now(), 'tester', 'test', '{}')"
                )
            )
            try:
                results.append(outcome(conn, statement))
            finally:
                conn.rollback()
    assert results == [as_owner, as_service]


def test_the_pipeline_and_reviews_run_as_the_service_role(scratch: Scratch, tmp_path: Path) -> None:
    from tests.alerts.helpers import raise_alerts

    grant(scratch.owner_url, scratch.service)
    store = Store(scratch.service_url)
    try:
        store.check_current()
        found = raise_alerts(store, tmp_path)  # watchlist import, collect, detect, alert
        review(store, found["1"], Confirm(), reviewer="siti")
        review(store, found["2"], Dismiss(reason="duplicate"), reviewer="siti")
        with store.session() as session:
            actions = set(session.scalars(select(AuditRow.action)).all())
            statuses = {i: st for i, st in session.execute(select(AlertRow.id, AlertRow.status))}
    finally:
        store.dispose()
    assert (statuses[found["1"]], statuses[found["2"]]) == ("confirmed", "dismissed")
    assert {"watchlist.import", "alert.confirm", "alert.dismiss"} <= actions


# -- what it was given, and the report --------------------------------------------------


def _sequences() -> set[str]:
    """The serial sequences the migrations create: one per table with an integer id."""
    return {
        f"{t.name}_id_seq"
        for t in Base.metadata.sorted_tables
        if t.autoincrement_column is not None
    }


def test_grant_gives_each_table_its_plan_and_each_sequence_usage(scratch: Scratch) -> None:
    granted = grant(scratch.owner_url, scratch.service)
    tables = {g.name: g.privileges for g in granted if g.kind == "table"}
    sequences = {g.name: g.privileges for g in granted if g.kind == "sequence"}
    assert tables == planned_tables()
    assert tables["audit_log"] == ("SELECT", "INSERT")
    assert tables["alembic_version"] == ("SELECT",)
    assert tables["posts"] == ("SELECT", "INSERT", "UPDATE", "DELETE")
    assert sequences == dict.fromkeys(_sequences(), SEQUENCE_PRIVILEGES)
    assert {g.kind for g in granted} == {"table", "sequence"}  # CONNECT, USAGE: via PUBLIC


def lines(found: PrivilegeReport) -> set[str]:
    """The report as lines: 'lacks|has KIND NAME: PRIVILEGES', 'owns KIND NAME'."""
    out = {"superuser"} if found.superuser else set()
    out |= {f"lacks {i.kind} {i.name}: {', '.join(i.privileges)}" for i in found.missing}
    out |= {f"has {i.kind} {i.name}: {', '.join(i.privileges)}" for i in found.excess}
    out |= {f"owns {o.kind} {o.name}" if o.kind != "database" else "owns database"
            for o in found.owned}  # fmt: skip
    return out


def test_the_report_before_granting_lists_every_privilege_lacking(scratch: Scratch) -> None:
    before = report(scratch.owner_url, scratch.service)
    assert not before.ok
    assert lines(before) == {
        *(f"lacks table {t}: {', '.join(p)}" for t, p in planned_tables().items()),
        *(f"lacks sequence {s}: USAGE, SELECT" for s in _sequences()),
    }
    grant(scratch.owner_url, scratch.service)
    grant(scratch.owner_url, scratch.service)  # again: the same
    after = report(scratch.service_url, scratch.service)  # any role may ask
    assert after.ok, lines(after)
    assert (after.tables, after.sequences) == (len(planned_tables()), len(_sequences()))


@pytest.mark.parametrize(
    ("setup", "match", "expected", "then_grant"),
    [
        # what an admin did after 'db grant'; '==' the report is exactly, '>=' includes;
        # what running 'db grant' again leaves
        ("GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO {role}", "==",
         {"has table audit_log: UPDATE, DELETE, TRUNCATE"},                       "ok"),
        ("GRANT UPDATE (actor) ON audit_log TO {role}", "==",
         {"has table audit_log: UPDATE"},                                         "ok"),
        ("GRANT REFERENCES, TRIGGER ON posts TO {role}", "==",
         {"has table posts: REFERENCES, TRIGGER"},                                "ok"),
        ("GRANT INSERT ON alembic_version TO {role}", "==",
         {"has table alembic_version: INSERT"},                                   "ok"),
        ("GRANT UPDATE ON SEQUENCE audit_log_id_seq TO {role}", "==",
         {"has sequence audit_log_id_seq: UPDATE"},                               "ok"),
        ("GRANT DELETE ON audit_log TO PUBLIC", "==",
         {"has table audit_log: DELETE"},                                         "ok"),
        ("GRANT CREATE ON SCHEMA public TO {role}", "==",
         {"has schema public: CREATE"},                                           "ok"),
        ("REVOKE INSERT ON audit_log FROM {role}", "==",
         {"lacks table audit_log: INSERT"},                                       "ok"),
        ("REVOKE USAGE ON SEQUENCE posts_id_seq FROM {role}", "==",
         {"lacks sequence posts_id_seq: USAGE"},                                  "ok"),
        ("GRANT pg_write_all_data TO {role}", ">=",
         {"has table audit_log: UPDATE, DELETE",
          "has table alembic_version: INSERT, UPDATE, DELETE"},                   "remains"),
        ("GRANT {owner} TO {role}", ">=",
         {"owns database", "owns schema public", "owns table audit_log",
          "owns sequence audit_log_id_seq",
          "owns function audit_log_append_only()"},                               "refused"),
        ("ALTER DATABASE {database} OWNER TO {role}", "==",
         {"owns database", "owns schema public", "has schema public: CREATE"},    "refused"),
        ("ALTER ROLE {role} SUPERUSER", ">=",
         {"superuser"},                                                           "refused"),
    ],
)  # fmt: skip
def test_the_report_names_too_much_and_too_little_and_grant_repairs_what_it_can(
    scratch: Scratch, setup: str, match: str, expected: set[str], then_grant: str
) -> None:
    grant(scratch.owner_url, scratch.service)
    statement = setup.format(
        role=_quote(scratch.service), owner=scratch.owner, database=scratch.database
    )
    _sql(scratch.admin_url, statement)  # as the superuser, in the scratch database
    found = lines(report(scratch.owner_url, scratch.service))
    if match == "==":
        assert found == expected
    else:
        assert found >= expected
    try:
        grant(scratch.owner_url, scratch.service)
    except StoreError:
        result = "refused"
    else:
        result = "ok" if report(scratch.owner_url, scratch.service).ok else "remains"
    assert result == then_grant


@pytest.mark.parametrize(
    ("runner", "role", "message"),
    [
        # who runs it  for whom     refused because
        ("owner",     "missing",   "peran PostgreSQL 'asnmon_nobody_.*' tidak ada"),
        ("owner",     "owner",     r"memiliki basis data asnmon_g_\w+, skema public, \d+ tabel"),
        ("owner",     "superuser", "adalah superuser"),
        ("service",   "service",   "harus dijalankan sebagai pemilik tabel"),
    ],
)  # fmt: skip
def test_grant_refuses(scratch: Scratch, runner: str, role: str, message: str) -> None:
    names = {
        "owner": scratch.owner,
        "service": scratch.service,
        "missing": f"asnmon_nobody_{uuid.uuid4().hex[:8]}",
        "superuser": make_url(scratch.admin_url).username or "postgres",
    }
    url = scratch.owner_url if runner == "owner" else scratch.service_url
    with pytest.raises(StoreError, match=message):
        grant(url, names[role])
    assert not report(scratch.owner_url, scratch.service).ok  # nothing was granted


def test_grant_and_check_refuse_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        for call in (grant_privileges, check_privileges):
            with engine.connect() as conn, pytest.raises(StoreError) as caught:
                call(conn, "asnmon")
            assert str(caught.value) == SQLITE_REFUSAL
    finally:
        engine.dispose()
    assert "SQLite tidak mengenal peran" in SQLITE_REFUSAL
