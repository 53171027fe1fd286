"""``asn-monitor import FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.collect.importer import FORMATS, Format, import_posts
from monitor.collect.importers import FIELDS, CsvMapping, load_mapping
from monitor.errors import InputError
from monitor.settings import known_timezone


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Format berkas: post (JSONL format asn-monitor), snscrape (keluaran "
    "'snscrape --jsonl'), csv (dengan pemetaan kolom). Bawaan: csv bila --map/--mapping "
    "diberikan, selain itu post.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="BIDANG=KOLOM",
    help=f"csv: kolom berkas untuk satu bidang ({', '.join(FIELDS)}), mis. "
    "--map 'text=Isi Unggahan'. Wajib: text, created_at, author, dan id atau url. "
    "Mengalahkan isi --mapping.",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="csv: berkas YAML pemetaan: {columns: {id: ..., text: ...}, platform: ..., "
    "timezone: ..., date_format: ...}.",
)
@click.option("--platform", help="csv: platform semua baris, bila tidak ada kolom platform.")
@click.option(
    "--timezone",
    help="Zona waktu untuk waktu tanpa zona (csv, snscrape), mis. Asia/Makassar. "
    "Bawaan: zona waktu konfigurasi (Asia/Jakarta bila tidak diatur).",
)
@click.option(
    "--date-format",
    metavar="FORMAT",
    help="csv: format waktu kolom created_at (strptime), mis. '%d/%m/%Y %H:%M'. "
    "Bawaan: ISO 8601. Waktu tanpa zona dibaca dalam --timezone.",
)
@click.option(
    "--include-unlisted",
    is_flag=True,
    help="Simpan juga unggahan akun yang tidak ada di daftar pantauan.",
)
@click.pass_obj
def import_cmd(
    ctx: Context,
    file: Path,
    fmt: Format | None,
    maps: tuple[str, ...],
    mapping_file: Path | None,
    platform: str | None,
    timezone: str | None,
    date_format: str | None,
    include_unlisted: bool,
) -> None:
    """Impor unggahan dari berkas: JSONL format asn-monitor (bawaan), keluaran
    'snscrape --jsonl', atau CSV dengan pemetaan kolom.

    Baris yang rusak dilaporkan dengan nomor barisnya dan dilewati; mengimpor berkas yang
    sama dua kali tidak menambah apa pun. Waktu tanpa zona waktu dibaca dalam --timezone
    (bawaan: zona waktu konfigurasi)."""
    fmt = fmt or ("csv" if maps or mapping_file else "post")
    csv_only = (
        ("--map", maps),
        ("--mapping", mapping_file),
        ("--platform", platform),
        ("--date-format", date_format),
    )
    misplaced = [name for name, value in csv_only if value and fmt != "csv"]
    if timezone and fmt == "post":
        misplaced.append("--timezone")
    if misplaced:
        raise click.UsageError(f"{', '.join(misplaced)} tidak berlaku untuk --format {fmt}")
    if timezone:
        try:
            known_timezone(timezone)
        except ValueError as exc:
            fail(f"--timezone: {exc}")
    mapping: CsvMapping | None = None
    try:
        if fmt == "csv":
            mapping = load_mapping(
                mapping_file=mapping_file,
                maps=maps,
                platform=platform,
                timezone=timezone,
                date_format=date_format,
                default_timezone=ctx.settings.timezone,
            )
        report = import_posts(
            ctx.store,
            file,
            include_unlisted=include_unlisted,
            batch_size=ctx.settings.pipeline.batch_size,
            fmt=fmt,
            mapping=mapping,
            timezone=timezone or ctx.settings.timezone,
        )
    except InputError as exc:
        ctx.guard(exc)
    echo_problems(report.problems)
    errors = report.rejected
    skipped = f", {report.skipped} catatan bukan unggahan" if report.skipped else ""
    click.echo(
        f"{file}: {report.stored.new} unggahan baru, {report.stored.seen} sudah ada "
        f"({report.stored.edited} berubah), {report.unlisted} dari akun di luar daftar pantauan, "
        f"{errors} baris rusak{skipped}"
    )
    if errors:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(import_cmd)
