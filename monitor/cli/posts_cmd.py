"""``asn-monitor import FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems
from monitor.collect.importer import import_posts
from monitor.errors import InputError


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--include-unlisted",
    is_flag=True,
    help="Simpan juga unggahan akun yang tidak ada di daftar pantauan.",
)
@click.pass_obj
def import_cmd(ctx: Context, file: Path, include_unlisted: bool) -> None:
    """Impor unggahan dari berkas JSONL (satu objek JSON per baris).

    Baris yang rusak dilaporkan dengan nomor barisnya dan dilewati; mengimpor berkas yang
    sama dua kali tidak menambah apa pun."""
    try:
        report = import_posts(
            ctx.store,
            file,
            include_unlisted=include_unlisted,
            batch_size=ctx.settings.pipeline.batch_size,
        )
    except InputError as exc:
        ctx.guard(exc)
    echo_problems(report.problems)
    errors = report.rejected
    click.echo(
        f"{file}: {report.stored.new} unggahan baru, {report.stored.seen} sudah ada "
        f"({report.stored.edited} berubah), {report.unlisted} dari akun di luar daftar pantauan, "
        f"{errors} baris rusak"
    )
    if errors:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(import_cmd)
