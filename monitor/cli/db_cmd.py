"""``asn-monitor db upgrade|current|grant``."""

from __future__ import annotations

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from monitor.cli.context import Context, fail
from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.grants import (
    ObjectPrivileges,
    Owned,
    PrivilegeReport,
    check_privileges,
    grant_privileges,
    refuse_unsupported,
)

#: what a person reads for each kind of database object
_KIND = {
    "database": "basis data",
    "schema": "skema",
    "table": "tabel",
    "sequence": "sequence",
    "function": "fungsi",
}
#: PostgreSQL's "insufficient_privilege"
_DENIED = "42501"


def _first_line(exc: DBAPIError) -> str:
    """The server's message without the statement excerpt under it."""
    return str(exc.orig).strip().splitlines()[0]


@click.group("db")
def db_group() -> None:
    """Skema basis data (migrasi Alembic)."""


@db_group.command("upgrade")
@click.pass_obj
def upgrade(ctx: Context) -> None:
    """Terapkan semua migrasi yang belum dijalankan."""
    store = Store(ctx.settings.database_url)
    try:
        before = store.current_revision()
        store.upgrade()
        after = store.current_revision()
    except StoreError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != _DENIED:
            raise
        fail(
            f"{store.safe_url}: peran ini tidak berhak menjalankan migrasi ({_first_line(exc)}); "
            "jalankan 'db upgrade' sebagai peran pemilik basis data, lalu 'db grant' untuk "
            "peran layanan"
        )
    if before == after:
        click.echo(f"{store.safe_url}: skema sudah terbaru (revisi {after})")
    else:
        click.echo(f"{store.safe_url}: skema dinaikkan dari {before or 'kosong'} ke {after}")


@db_group.command("current")
@click.pass_obj
def current(ctx: Context) -> None:
    """Tampilkan revisi skema basis data."""
    store = Store(ctx.settings.database_url)
    try:
        revision, head = store.current_revision(), store.head_revision()
    except StoreError as exc:
        fail(str(exc))
    state = "terbaru" if revision == head else f"perlu 'asn-monitor db upgrade' ke {head}"
    click.echo(f"{store.safe_url}: revisi {revision or 'kosong'} ({state})")


def _object(item: ObjectPrivileges | Owned) -> str:
    return f"{_KIND[item.kind]} {item.name}"


def _owned_lines(owned: tuple[Owned, ...]) -> list[tuple[str, str]]:
    """Owned objects of one kind and owner on one line: '18 tabel', or the name if one."""
    groups: dict[tuple[str, str], list[Owned]] = {}
    for item in owned:
        groups.setdefault((item.kind, item.owner), []).append(item)
    return [
        (_object(items[0]) if len(items) == 1 else f"{len(items)} {_KIND[kind]}", owner)
        for (kind, owner), items in groups.items()
    ]


def _report_lines(report: PrivilegeReport) -> list[str]:
    if report.superuser:
        return ["  superuser  melewati semua hak: GRANT dan REVOKE tidak membatasinya"]
    # an owner holds every privilege on what it owns: those follow from the 'milik' lines
    owned = {(o.kind, o.name) for o in report.owned}
    excess = [i for i in report.excess if (i.kind, i.name) not in owned]
    rows = [
        *(("kurang", _object(i), ", ".join(i.privileges)) for i in report.missing),
        *(("lebih", _object(i), ", ".join(i.privileges)) for i in excess),
        *(("milik", what, f"pemilik {owner}") for what, owner in _owned_lines(report.owned)),
    ]
    width = max((len(what) for _, what, _ in rows), default=0)
    return [f"  {label:<6}  {what:<{width}}  {detail}" for label, what, detail in rows]


def _verdict(report: PrivilegeReport) -> str:
    return (
        f"hak peran {report.role!r} sesuai: {report.tables} tabel, {report.sequences} "
        "sequence; audit_log hanya SELECT, INSERT; tidak memiliki apa pun"
    )


def _hint(report: PrivilegeReport, granted: bool) -> str:
    if report.superuser or report.owned:
        return (
            "peran yang superuser atau memiliki objek tidak bisa dibatasi dengan GRANT: layanan "
            "harus memakai peran lain (lihat deploy/INSTALL.md)"
        )
    if granted:
        return "hak lewat PUBLIC atau lewat keanggotaan peran lain tidak diubah 'db grant'"
    return f"jalankan 'asn-monitor db grant {report.role}' sebagai pemilik tabel"


@db_group.command(
    "grant", short_help="Hak peran layanan PostgreSQL: baris saja, audit_log hanya tambah."
)
@click.argument("role")
@click.option("--check", is_flag=True, help="Hanya periksa hak peran; tidak ada yang diubah.")
@click.pass_obj
def grant(ctx: Context, role: str, check: bool) -> None:
    """Beri peran layanan ROLE hak yang ia butuhkan dan tidak lebih (PostgreSQL).

    Jalankan dengan MONITOR_DATABASE_URL peran pemilik tabel (yang menjalankan 'db upgrade');
    layanan dan perintah operator memakai ROLE. ROLE boleh SELECT, INSERT, UPDATE, DELETE
    pada tabel kerja, hanya SELECT dan INSERT pada audit_log, hanya SELECT pada
    alembic_version, USAGE dan SELECT pada sequence; tanpa kepemilikan, jadi tanpa DDL,
    TRUNCATE, atau mengubah trigger. Hak lama dicabut dulu, jadi aman dijalankan ulang.

    Jalankan lagi setelah setiap 'asn-monitor db upgrade': tabel baru belum terbuka bagi
    ROLE sebelum itu (sengaja tanpa ALTER DEFAULT PRIVILEGES).

    --check: laporkan yang kurang, yang berlebih, dan yang dimiliki ROLE; keluar 1 bila
    tidak sesuai. Boleh dijalankan peran mana pun, juga ROLE sendiri."""
    store = Store(ctx.settings.database_url)
    try:
        refuse_unsupported(store.url.get_backend_name())
        with store.engine.begin() as connection:
            granted = [] if check else grant_privileges(connection, role)
            report = check_privileges(connection, role)
            if granted:
                with Session(bind=connection) as session:
                    audit(
                        session,
                        "db.grant",
                        object_type="role",
                        object_id=role,
                        details={
                            "database": store.safe_url,
                            "granted": {f"{g.kind} {g.name}": list(g.privileges) for g in granted},
                            "ok": report.ok,
                        },
                    )
                    session.flush()
    except StoreError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        fail(f"{store.safe_url}: {_first_line(exc)}")
    finally:
        store.dispose()
    if granted:
        click.echo(f"{store.safe_url}: hak peran {role!r} diatur ulang (yang lama dicabut dulu)")
        width = max(len(_object(g)) for g in granted)
        for item in granted:
            click.echo(f"  {_object(item):<{width}}  {', '.join(item.privileges)}")
        click.echo(
            f"Jalankan lagi 'asn-monitor db grant {role}' setelah setiap 'asn-monitor db upgrade'."
        )
    if report.ok:
        click.echo(_verdict(report))
        return
    click.echo(f"{store.safe_url}: hak peran {role!r} tidak sesuai")
    lines = _report_lines(report)
    for line in lines:
        click.echo(line)
    fail(f"{len(lines)} masalah pada peran {role!r}; {_hint(report, bool(granted))}")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
