"""``asn-monitor submit URL --account ...``: a post a monitor saw, with screenshots."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, fail
from monitor.collect.submit import parse_posted_at, submit_post
from monitor.errors import InputError
from monitor.store.evidence import ACCEPTED


@click.command("submit")
@click.argument("url")
@click.option(
    "--account",
    "-a",
    required=True,
    metavar="AKUN",
    help="Akun yang dipantau: platform:akun (mis. facebook:@budi), atau akun saja bila "
    "hanya ada di satu platform. Lihat 'asn-monitor watchlist list'.",
)
@click.option("--text", help="Teks unggahan, seperti yang terlihat.")
@click.option(
    "--text-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Berkas teks (UTF-8) berisi teks unggahan (ganti --text).",
)
@click.option(
    "--screenshot",
    "-s",
    "screenshots",
    multiple=True,
    type=click.Path(path_type=Path),
    help=f"Tangkapan layar sebagai bukti ({ACCEPTED}); boleh diulang.",
)
@click.option(
    "--posted-at",
    metavar="WAKTU",
    help="Waktu unggah, ISO 8601 dengan zona waktu, mis. 2024-10-01T08:00:00+07:00 "
    "(bawaan: waktu pengajuan).",
)
@click.option("--note", help="Catatan pemantau, disimpan bersama bukti.")
@click.pass_obj
def submit_cmd(
    ctx: Context,
    url: str,
    account: str,
    text: str | None,
    text_file: Path | None,
    screenshots: tuple[Path, ...],
    posted_at: str | None,
    note: str | None,
) -> None:
    """Ajukan unggahan yang dilihat pemantau (Facebook, Instagram, TikTok, atau platform
    lain), dengan tangkapan layar sebagai bukti.

    Hanya untuk akun di daftar pantauan (UU 27/2022). Unggahan disimpan seperti hasil
    pengumpulan dan diperiksa pada 'asn-monitor run --once' berikutnya. Mengajukan URL
    yang sama lagi tidak membuat unggahan kedua: tangkapan layar baru ditambahkan, teks
    yang berubah dicatat sebagai suntingan."""
    if text is not None and text_file is not None:
        raise click.UsageError("pakai --text atau --text-file, bukan keduanya")
    if text_file is not None:
        try:
            text = text_file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            fail(f"{text_file}: berkas tidak ditemukan")
        except UnicodeDecodeError:
            fail(f"{text_file}: berkas bukan UTF-8")
        except OSError as exc:
            fail(f"{text_file}: tidak bisa dibaca ({exc.strerror})")
    try:
        when = parse_posted_at(posted_at) if posted_at is not None else None
        result = submit_post(
            ctx.store,
            url=url,
            account=account,
            evidence_dir=ctx.settings.var_path / "evidence",
            text=text,
            screenshots=screenshots,
            posted_at=when,
            note=note,
        )
    except InputError as exc:
        ctx.guard(exc)
    state = "baru" if result.new else "sudah dikenal"
    click.echo(f"unggahan {result.platform}:{result.post_id} ({state}) dari {result.account}")
    for sha256, added in result.screenshots:
        click.echo(f"  tangkapan layar {sha256} ({'ditambahkan' if added else 'sudah ada'})")
    if result.edited:
        click.echo("  teks berbeda dari yang tersimpan: dicatat sebagai suntingan")
    if result.empty_text:
        click.echo("  tanpa teks: deteksi otomatis tidak dapat menilai; periksa tangkapan layar")
    if result.decided:
        click.echo("  sudah diperiksa sebelumnya; bukti ditambahkan ke unggahan itu")
    else:
        click.echo("  akan diperiksa pada 'asn-monitor run --once' berikutnya")


def register(cli: click.Group) -> None:
    cli.add_command(submit_cmd)
