"""``asn-monitor watchlist import|list|export``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.domain import parse_platform
from monitor.labels import PLATFORM
from monitor.store.people import list_accounts
from monitor.watchlist.export import to_csv, to_yaml
from monitor.watchlist.sync import import_watchlist


@click.group("watchlist")
def watchlist_group() -> None:
    """Daftar pantauan: orang dan akun yang dipantau."""


@watchlist_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Periksa dan hitung saja, tanpa menyimpan.")
@click.pass_obj
def import_(ctx: Context, file: Path, dry_run: bool) -> None:
    """Impor daftar pantauan dari CSV atau YAML (perbarui bila platform + akun sudah ada)."""
    report = import_watchlist(ctx.store, file, dry_run=dry_run)
    echo_problems(report.problems)
    a, p = report.accounts, report.persons
    prefix = "(uji coba, tidak disimpan) " if dry_run else ""
    click.echo(
        f"{prefix}{file}: {a['new']} akun baru, {a['updated']} diperbarui, {a['unchanged']} tetap; "
        f"{p['new']} orang baru, {p['updated']} diperbarui; {report.rejected} baris ditolak"
    )
    if report.problems:
        raise SystemExit(1)


@watchlist_group.command("list")
@click.option("--platform", help="Hanya platform ini.")
@click.option("--active-only", is_flag=True, help="Hanya akun yang aktif dipantau.")
@click.pass_obj
def list_(ctx: Context, platform: str | None, active_only: bool) -> None:
    """Tampilkan akun yang dipantau."""
    if platform is not None:
        try:
            platform = parse_platform(platform)
        except ValueError as exc:
            fail(str(exc))
    with ctx.store.session() as session:
        views = list_accounts(session, platform=platform, active_only=active_only)
    if not views:
        click.echo("daftar pantauan kosong: impor dengan 'asn-monitor watchlist import BERKAS'")
        return
    for v in views:
        state = "" if v.account.active else "  [tidak aktif]"
        click.echo(
            f"{PLATFORM.get(v.account.platform, v.account.platform):<12} {v.account.handle:<28} "
            f"{v.person.name} ({v.person.employment_type.label}, {v.person.agency or '-'}){state}"
        )
    click.echo(f"{len(views)} akun")


@watchlist_group.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "yaml"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tulis ke berkas (bawaan: layar).",
)
@click.pass_obj
def export(ctx: Context, fmt: str, out: Path | None) -> None:
    """Ekspor daftar pantauan dalam format yang bisa diimpor lagi."""
    from monitor.store.audit import audit

    with ctx.store.session() as session:
        views = list_accounts(session)
        audit(
            session,
            "watchlist.export",
            object_type="file",
            object_id=str(out or "-"),
            details={"accounts": len(views)},
        )
    text = to_csv(views) if fmt == "csv" else to_yaml(views)
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"{out}: {exc.strerror}")
        click.echo(f"{len(views)} akun ditulis ke {out}", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(watchlist_group)
