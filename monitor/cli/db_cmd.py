"""``asn-monitor db upgrade|current``."""

from __future__ import annotations

import click

from monitor.cli.context import Context, fail
from monitor.errors import StoreError
from monitor.store import Store


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


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
