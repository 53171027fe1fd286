"""Least-privilege PostgreSQL role for the service: grant it exactly what it needs, and check.

The audit log is append-only through a trigger, but the role that owns the tables may drop
that trigger, ``ALTER`` or ``TRUNCATE`` the table, or replace the trigger function, and then
rewrite history. So on PostgreSQL two roles are used: the *owner* runs the migrations
(``asn-monitor db upgrade``) and this module (``asn-monitor db grant ROLE``); the service
and the operators' commands connect as a second role that may only read and write rows:

- the working tables (every table of ``Base.metadata``): SELECT, INSERT, UPDATE, DELETE;
- ``audit_log``: SELECT and INSERT only;
- ``alembic_version``: SELECT only (the service checks the schema revision);
- the tables' sequences (serial ids): USAGE and SELECT;
- nothing owned: no DDL, no TRUNCATE, no trigger changes.

Each run revokes everything first, from the role and from PUBLIC, on these objects, then
grants the list above, in the caller's transaction: running it again is safe, also while
the service runs. There is deliberately no ``ALTER DEFAULT PRIVILEGES``: tables are only
created by migrations, and this is run again after every ``db upgrade`` (a new table stays
closed to the service until then, and :func:`check_privileges` names it).

SQLite has no roles: there the database file's owner and mode are the control, and every
function here refuses. Messages in :class:`StoreError` are for a person (Indonesian).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from loguru import logger
from sqlalchemy import Connection, bindparam, text

from monitor.errors import StoreError
from monitor.store.models import Base

ObjectKind = Literal["database", "schema", "table", "sequence", "function"]

#: rows of the working tables
ROW_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
#: tables whose rows the service may not change (append-only or migration-owned)
RESTRICTED: dict[str, tuple[str, ...]] = {
    "audit_log": ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),
}
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")

#: every table privilege the check looks at (MAINTAIN is added on PostgreSQL 17 and later)
TABLE_CHECKED = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
#: privileges that can also be granted per column (``has_any_column_privilege``)
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")
SEQUENCE_CHECKED = ("USAGE", "SELECT", "UPDATE")

SQLITE_REFUSAL = (
    "SQLite tidak mengenal peran basis data: 'db grant' hanya untuk PostgreSQL. Pada SQLite "
    "yang membatasi akses adalah izin berkas basis data (pemilik dan mode berkasnya)"
)


@dataclass(frozen=True)
class ObjectPrivileges:
    """Privileges on one database object: granted, lacking, or beyond the plan."""

    kind: ObjectKind
    name: str
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class Owned:
    """An object the role owns, itself or through membership in ``owner``."""

    kind: ObjectKind
    name: str
    owner: str


@dataclass(frozen=True)
class PrivilegeReport:
    """What :func:`check_privileges` found for one role; ``ok`` when nothing is amiss."""

    role: str
    superuser: bool
    missing: tuple[ObjectPrivileges, ...]
    excess: tuple[ObjectPrivileges, ...]
    owned: tuple[Owned, ...]
    tables: int
    sequences: int

    @property
    def ok(self) -> bool:
        return not (self.superuser or self.missing or self.excess or self.owned)


@dataclass(frozen=True)
class _Relation:
    schema: str
    name: str
    owner: str


@dataclass(frozen=True)
class _Catalog:
    """The objects the plan covers, as the database has them now."""

    database: str
    database_owner: str
    schema: str
    schema_owner: str
    current_user: str
    tables: tuple[_Relation, ...]
    sequences: tuple[_Relation, ...]
    functions: tuple[_Relation, ...]


def refuse_unsupported(backend: str) -> None:
    """Raise for any backend but PostgreSQL (``url.get_backend_name()``, ``dialect.name``)."""
    if backend == "sqlite":
        raise StoreError(SQLITE_REFUSAL)
    if backend != "postgresql":
        raise StoreError(f"'db grant' hanya untuk PostgreSQL, bukan {backend}")


def planned_tables() -> dict[str, tuple[str, ...]]:
    """Table name to the privileges the service role gets, alphabetical."""
    names = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    return {name: RESTRICTED.get(name, ROW_PRIVILEGES) for name in sorted(names)}


def _quote(connection: Connection, name: str) -> str:
    """Always a quoted identifier (``"`` doubled), whatever the name holds."""
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _qualified(connection: Connection, relation: _Relation) -> str:
    return f"{_quote(connection, relation.schema)}.{_quote(connection, relation.name)}"


def _role(connection: Connection, role: str) -> bool:
    """Whether ``role`` is a superuser; raises when there is no such role."""
    superuser = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).scalar()
    if superuser is None:
        raise StoreError(
            f"peran PostgreSQL {role!r} tidak ada: buat dulu sebagai superuser "
            "(CREATE ROLE ... LOGIN PASSWORD ...)"
        )
    return bool(superuser)


def _catalog(connection: Connection) -> _Catalog:
    head = connection.execute(
        text(
            "SELECT current_database(), pg_get_userbyid(d.datdba), n.nspname, "
            "pg_get_userbyid(n.nspowner), current_user "
            "FROM pg_database d, pg_namespace n "
            "WHERE d.datname = current_database() AND n.nspname = current_schema()"
        )
    ).one_or_none()
    if head is None:
        raise StoreError("search_path tidak menunjuk skema yang ada: tabel tidak ditemukan")
    database, database_owner, schema, schema_owner, current_user = head
    names = list(planned_tables())
    in_schema = "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()"
    tables = connection.execute(
        text(
            "SELECT n.nspname, t.relname, pg_get_userbyid(t.relowner) FROM pg_class t "
            f"{in_schema} WHERE t.relkind IN ('r', 'p') AND t.relname IN :names "
            "ORDER BY t.relname"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": names},
    ).all()
    absent = sorted(set(names) - {row[1] for row in tables})
    if absent:
        what = "tabel asn-monitor" if len(absent) == len(names) else f"tabel {', '.join(absent)}"
        raise StoreError(
            f"{what} belum ada di skema {schema} basis data {database}: jalankan "
            "'asn-monitor db upgrade' dulu (sebagai pemilik), lalu 'db grant'"
        )
    # serial ("a") and identity ("i") sequences of those tables
    sequences = connection.execute(
        text(
            "SELECT sn.nspname, s.relname, pg_get_userbyid(s.relowner) FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
            f"JOIN pg_class t ON t.oid = d.refobjid {in_schema} "
            "WHERE d.classid = CAST('pg_class' AS regclass) "
            "AND d.refclassid = CAST('pg_class' AS regclass) "
            "AND d.deptype IN ('a', 'i') AND t.relname IN :names ORDER BY s.relname"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": names},
    ).all()
    # the functions the tables' triggers run (audit_log_append_only): whoever may replace
    # one may turn the append-only rule off
    functions = connection.execute(
        text(
            "SELECT DISTINCT pn.nspname, "
            "p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
            "pg_get_userbyid(p.proowner) FROM pg_trigger g "
            "JOIN pg_proc p ON p.oid = g.tgfoid "
            "JOIN pg_namespace pn ON pn.oid = p.pronamespace "
            f"JOIN pg_class t ON t.oid = g.tgrelid {in_schema} "
            "WHERE NOT g.tgisinternal AND t.relname IN :names ORDER BY 2"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": names},
    ).all()
    return _Catalog(
        database=database,
        database_owner=database_owner,
        schema=schema,
        schema_owner=schema_owner,
        current_user=current_user,
        tables=tuple(_Relation(*row) for row in tables),
        sequences=tuple(_Relation(*row) for row in sequences),
        functions=tuple(_Relation(*row) for row in functions),
    )


def _owned(connection: Connection, role: str, catalog: _Catalog) -> tuple[Owned, ...]:
    """Objects ``role`` owns or may act as owner of (``pg_has_role`` MEMBER: it can
    ``SET ROLE`` to the owner). A superuser is a member of every role."""
    candidates: list[Owned] = [
        Owned("database", catalog.database, catalog.database_owner),
        Owned("schema", catalog.schema, catalog.schema_owner),
        *(Owned("table", r.name, r.owner) for r in catalog.tables),
        *(Owned("sequence", r.name, r.owner) for r in catalog.sequences),
        *(Owned("function", r.name, r.owner) for r in catalog.functions),
    ]
    member: dict[str, bool] = {}
    for owner in {c.owner for c in candidates}:
        member[owner] = bool(
            connection.execute(
                text("SELECT pg_has_role(:role, :owner, 'MEMBER')"),
                {"role": role, "owner": owner},
            ).scalar()
        )
    return tuple(c for c in candidates if member[c.owner])


def _held(
    connection: Connection, role: str, kind: ObjectKind, relation: _Relation, checked: Iterable[str]
) -> tuple[set[str], set[str]]:
    """(privileges held on the whole object, privileges held on it or on any column)."""
    whole: set[str] = set()
    anywhere: set[str] = set()
    target = _qualified(connection, relation)
    for privilege in checked:
        if kind == "sequence":
            query = "SELECT has_sequence_privilege(:role, :target, :privilege), false"
        elif privilege in COLUMN_PRIVILEGES:
            query = (
                "SELECT has_table_privilege(:role, :target, :privilege), "
                "has_any_column_privilege(:role, :target, :privilege)"
            )
        else:
            query = "SELECT has_table_privilege(:role, :target, :privilege), false"
        on_whole, on_column = connection.execute(
            text(query), {"role": role, "target": target, "privilege": privilege}
        ).one()
        if on_whole:
            whole.add(privilege)
        if on_whole or on_column:
            anywhere.add(privilege)
    return whole, anywhere


def _in_order(privileges: set[str], order: Sequence[str]) -> tuple[str, ...]:
    return tuple(p for p in order if p in privileges)


def check_privileges(connection: Connection, role: str) -> PrivilegeReport:
    """What ``role`` lacks and has beyond the plan, and what it owns. Any role may run
    this (``has_table_privilege`` and friends answer for every role)."""
    refuse_unsupported(connection.dialect.name)
    superuser = _role(connection, role)
    catalog = _catalog(connection)
    plan = planned_tables()
    table_checked: tuple[str, ...] = TABLE_CHECKED
    if connection.dialect.server_version_info and connection.dialect.server_version_info >= (17,):
        table_checked = (*TABLE_CHECKED, "MAINTAIN")
    missing: list[ObjectPrivileges] = []
    excess: list[ObjectPrivileges] = []
    held = connection.execute(
        text(
            "SELECT has_database_privilege(:role, current_database(), 'CONNECT'), "
            "has_schema_privilege(:role, current_schema(), 'USAGE'), "
            "has_schema_privilege(:role, current_schema(), 'CREATE')"
        ),
        {"role": role},
    ).one()
    connect, usage, create = (bool(v) for v in held)
    if not connect:
        missing.append(ObjectPrivileges("database", catalog.database, ("CONNECT",)))
    if not usage:
        missing.append(ObjectPrivileges("schema", catalog.schema, ("USAGE",)))
    if create:
        excess.append(ObjectPrivileges("schema", catalog.schema, ("CREATE",)))
    relations: list[tuple[ObjectKind, _Relation, Sequence[str], Sequence[str]]] = [
        *(("table", t, plan[t.name], table_checked) for t in catalog.tables),
        *(("sequence", s, SEQUENCE_PRIVILEGES, SEQUENCE_CHECKED) for s in catalog.sequences),
    ]
    for kind, relation, wanted, checked in relations:
        whole, anywhere = _held(connection, role, kind, relation, checked)
        lacking = _in_order(set(wanted) - whole, checked)
        beyond = _in_order(anywhere - set(wanted), checked)
        if lacking:
            missing.append(ObjectPrivileges(kind, relation.name, lacking))
        if beyond:
            excess.append(ObjectPrivileges(kind, relation.name, beyond))
    return PrivilegeReport(
        role=role,
        superuser=superuser,
        missing=tuple(missing),
        excess=tuple(excess),
        owned=_owned(connection, role, catalog),
        tables=len(catalog.tables),
        sequences=len(catalog.sequences),
    )


def _summary(owned: Sequence[Owned]) -> str:
    """'basis data asnmon, 18 tabel, fungsi f() (pemilik: asnmon)'."""
    words = {
        "database": "basis data",
        "schema": "skema",
        "table": "tabel",
        "sequence": "sequence",
        "function": "fungsi",
    }
    kinds: dict[ObjectKind, list[str]] = {}
    for item in owned:
        kinds.setdefault(item.kind, []).append(item.name)
    shown = [
        f"{words[kind]} {names[0]}" if len(names) == 1 else f"{len(names)} {words[kind]}"
        for kind, names in kinds.items()
    ]
    owners = ", ".join(sorted({o.owner for o in owned}))
    return f"{', '.join(shown)} (pemilik: {owners})"


def _execute(connection: Connection, statement: str) -> None:
    # Not text(): it would read ':name' inside a quoted role name as a parameter. The
    # preparer doubles '%' for psycopg's pyformat style, and the (empty) parameters this
    # passes make the driver read '%%' back as '%', as in SQLAlchemy's own DDL.
    connection.exec_driver_sql(statement)


def grant_privileges(connection: Connection, role: str) -> list[ObjectPrivileges]:
    """Give ``role`` exactly the plan (module docstring), in the caller's transaction;
    returns what was granted. Run as the owner of the tables (or a superuser)."""
    refuse_unsupported(connection.dialect.name)
    if _role(connection, role):
        raise StoreError(
            f"peran {role!r} adalah superuser: superuser melewati semua hak, jadi GRANT tidak "
            "membatasinya. Layanan harus memakai peran biasa (CREATE ROLE ... LOGIN)"
        )
    catalog = _catalog(connection)
    owners = sorted({r.owner for r in (*catalog.tables, *catalog.sequences)})
    for owner in owners:
        allowed = connection.execute(
            text("SELECT pg_has_role(current_user, :owner, 'USAGE')"), {"owner": owner}
        ).scalar()
        if not allowed:
            raise StoreError(
                f"'db grant' harus dijalankan sebagai pemilik tabel ({', '.join(owners)}), "
                f"bukan sebagai {catalog.current_user}: pakai MONITOR_DATABASE_URL peran pemilik"
            )
    owned = _owned(connection, role, catalog)
    if owned:
        raise StoreError(
            f"peran {role!r} memiliki {_summary(owned)}, sendiri atau sebagai anggota peran "
            "pemiliknya: peran itu bisa mengubah skema dan mematikan trigger log audit, jadi "
            "GRANT tidak membatasinya. Layanan harus memakai peran lain yang tidak memiliki "
            "apa pun; pindahkan kepemilikan sebagai superuser "
            f"(REASSIGN OWNED BY {_quote(connection, role)} TO peran_pemilik)"
        )
    quoted_role = _quote(connection, role)
    granted: list[ObjectPrivileges] = []
    held = connection.execute(
        text(
            "SELECT has_database_privilege(:role, current_database(), 'CONNECT'), "
            "has_schema_privilege(:role, current_schema(), 'USAGE'), "
            "has_schema_privilege(:role, current_schema(), 'CREATE')"
        ),
        {"role": role},
    ).one()
    if held[2]:  # granted to the role itself; through PUBLIC (before PostgreSQL 15) it stays
        _execute(
            connection,
            f"REVOKE CREATE ON SCHEMA {_quote(connection, catalog.schema)} FROM {quoted_role}",
        )
    if not held[0]:
        _execute(
            connection,
            f"GRANT CONNECT ON DATABASE {_quote(connection, catalog.database)} TO {quoted_role}",
        )
        granted.append(ObjectPrivileges("database", catalog.database, ("CONNECT",)))
    if not held[1]:
        _execute(
            connection,
            f"GRANT USAGE ON SCHEMA {_quote(connection, catalog.schema)} TO {quoted_role}",
        )
        granted.append(ObjectPrivileges("schema", catalog.schema, ("USAGE",)))
    plan = planned_tables()
    for table in catalog.tables:
        target = _qualified(connection, table)
        privileges = plan[table.name]
        _execute(connection, f"REVOKE ALL ON TABLE {target} FROM PUBLIC, {quoted_role}")
        _execute(connection, f"GRANT {', '.join(privileges)} ON TABLE {target} TO {quoted_role}")
        granted.append(ObjectPrivileges("table", table.name, privileges))
    for sequence in catalog.sequences:
        target = _qualified(connection, sequence)
        _execute(connection, f"REVOKE ALL ON SEQUENCE {target} FROM PUBLIC, {quoted_role}")
        _execute(
            connection,
            f"GRANT {', '.join(SEQUENCE_PRIVILEGES)} ON SEQUENCE {target} TO {quoted_role}",
        )
        granted.append(ObjectPrivileges("sequence", sequence.name, SEQUENCE_PRIVILEGES))
    logger.info(
        "granted role {} row access on {} tables and {} sequences in {}.{}",
        role,
        len(catalog.tables),
        len(catalog.sequences),
        catalog.database,
        catalog.schema,
    )
    return granted
