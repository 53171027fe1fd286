"""``asn-monitor release ID --note TEXT [--reviewer NAME]``: release the evidence of a
confirmed or escalated alert once its case is closed; the next purge deletes it."""

from __future__ import annotations

import click

from monitor.alerts.lifecycle import ReviewError
from monitor.cli.context import Context, fail
from monitor.labels import STATUS, label
from monitor.store.models import utcnow


@click.command("release")
@click.argument("alert_id", metavar="ID")
@click.option(
    "--note", metavar="TEKS", help="Wajib: dasar pelepasan (mis. perkara selesai, nomor putusan)."
)
@click.option(
    "--reviewer", metavar="NAMA", help="Nama petugas (bawaan: $MONITOR_ACTOR atau pengguna OS)."
)
@click.pass_obj
def release_cmd(ctx: Context, alert_id: str, note: str | None, reviewer: str | None) -> None:
    """Lepas bukti peringatan yang dikonfirmasi atau diteruskan: perkaranya selesai, bukti
    tidak diperlukan lagi. Pembersihan berikutnya menghapus peringatan, unggahan, dan
    tangkapan layarnya; pelepasan tercatat di riwayat peringatan dan log audit.

    Peringatan baru tidak bisa dilepas (belum ditinjau); peringatan yang ditolak dihapus
    otomatis setelah retention.dismissed_days hari."""
    from monitor.service.retention import release

    cleaned = alert_id.strip().lstrip("#")
    if not cleaned.isdigit():
        fail(f"ID peringatan {alert_id!r} bukan angka (lihat 'asn-monitor alerts list')")
    settings = ctx.settings
    now = utcnow()
    try:
        done = release(ctx.store, int(cleaned), note=note, reviewer=reviewer, now=now)
    except ReviewError as exc:
        if exc.field:
            fail(f"peringatan #{exc.alert_id}, --{exc.field}: {exc.reason}")
        fail(str(exc))
    zone = now.astimezone(settings.tz).strftime("%Z")
    click.echo(
        f"peringatan #{done.alert_id} ({label(STATUS, done.status)}) dilepas oleh {done.actor}"
    )
    click.echo(
        "bukti, unggahan, dan tangkapan layarnya dihapus pada pembersihan berikutnya "
        f"(setiap hari pukul {settings.retention.time} {zone}, atau 'asn-monitor purge')"
    )


def register(cli: click.Group) -> None:
    cli.add_command(release_cmd)
