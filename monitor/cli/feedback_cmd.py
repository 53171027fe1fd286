"""``asn-monitor model export-feedback``: reviewed alerts as training rows."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import click

from monitor.cli.context import Context, fail


@click.command("export-feedback")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Berkas JSONL keluaran.",
)
@click.option("--since", help="Hanya peringatan yang ditinjau sejak tanggal ini (YYYY-MM-DD).")
@click.option(
    "--dismissed-as",
    default="political_neutral",
    show_default=True,
    help="Label untuk peringatan yang ditolak tanpa label dari peninjau.",
)
@click.pass_obj
def export_feedback_cmd(ctx: Context, out: Path, since: str | None, dismissed_as: str) -> None:
    """Ekspor peringatan yang sudah dikonfirmasi, ditolak, atau diteruskan sebagai data latih
    (format data/labelled), agar tim bisa melatih ulang model dengan tinjauannya sendiri."""
    from monitor.alerts.feedback import export_feedback
    from monitor.store.audit import audit

    start = None
    if since is not None:
        try:
            start = datetime.combine(date.fromisoformat(since), time(0), tzinfo=ctx.settings.tz)
        except ValueError:
            fail(f"--since {since!r} bukan tanggal YYYY-MM-DD")
    tmp = out.with_name(out.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            report = export_feedback(ctx.store, handle, since=start, dismissed_as=dismissed_as)
        tmp.replace(out)
    except ValueError as exc:
        tmp.unlink(missing_ok=True)
        fail(str(exc))
    except OSError as exc:
        fail(f"{out}: {exc.strerror}")
    with ctx.store.session() as session:
        audit(
            session,
            "model.export_feedback",
            object_type="file",
            object_id=str(out),
            details={"rows": report.rows, "labels": dict(report.labels)},
        )
    labels = ", ".join(f"{k} {v}" for k, v in sorted(report.labels.items())) or "tidak ada"
    click.echo(f"{report.rows} baris ditulis ke {out} ({labels})")


def register(cli: click.Group) -> None:
    from monitor.cli.model_cmd import model_group

    model_group.add_command(export_feedback_cmd)
