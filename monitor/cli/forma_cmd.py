"""``asn-monitor form-a``: the day's Form A draft and the BKN/Gakkumdu referral lists."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from monitor.cli.context import Context, echo_problems, fail
from monitor.service.report_files import FORM_A_DIR
from monitor.settings import Settings
from monitor.store.models import utcnow


def rule_bases(settings: Settings) -> dict[str, list[str]]:
    """rule id -> legal basis, from the rule files in force. Decisions do not store the
    basis, so it is read again; a rule file that does not load is reported and the draft
    falls back to each category's default basis."""
    from monitor.errors import InputError
    from monitor.rules.loader import load_rules

    try:
        ruleset = load_rules(settings.rule_paths)
    except InputError as exc:
        echo_problems(exc.problems)
        click.echo(
            "peringatan: berkas aturan tidak bisa dimuat; dasar hukum memakai bawaan kategori",
            err=True,
        )
        return {}
    return {rule.id: list(rule.legal_basis) for rule in ruleset.rules}


@click.command("form-a")
@click.option(
    "--date",
    "day",
    help="Tanggal konfirmasi, YYYY-MM-DD (bawaan: hari ini menurut zona waktu pemilihan).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder keluaran (bawaan: var/{FORM_A_DIR}).",
)
@click.pass_obj
def form_a_cmd(ctx: Context, day: str | None, out: Path | None) -> None:
    """Tulis DRAF Formulir A (Laporan Hasil Pengawasan) dari peringatan yang dikonfirmasi
    pengawas pada tanggal itu, beserta daftar rujukan BKN dan Gakkumdu (CSV).

    Draf harus diperiksa, dilengkapi, dan ditandatangani pengawas sebelum dipakai."""
    from monitor.alerts.digest import today
    from monitor.alerts.forma import build_form_a
    from monitor.alerts.forma_render import write_form_a
    from monitor.alerts.referral import write_referrals
    from monitor.store.audit import audit, current_actor

    settings = ctx.settings
    now = utcnow()
    if day is None:
        target = today(now, settings.tz)
    else:
        try:
            target = date.fromisoformat(day)
        except ValueError:
            fail(f"--date {day!r} bukan tanggal YYYY-MM-DD")
    out_dir = out or settings.var_path / FORM_A_DIR
    actor = current_actor()
    form = build_form_a(
        ctx.store,
        target,
        settings.tz,
        settings.form_a,
        now=now,
        generated_by=actor,
        rule_bases=rule_bases(settings),
    )
    try:
        html, html_sha = write_form_a(form, out_dir)
        referrals = write_referrals(form, out_dir)
    except OSError as exc:
        fail(f"{exc.filename or out_dir}: tidak bisa ditulis ({exc.strerror})")
    alert_ids = [f.alert_id for f in form.findings]
    with ctx.store.session() as session:
        audit(
            session,
            "form_a.write",
            actor=actor,
            object_type="form_a",
            object_id=target.isoformat(),
            details={"alerts": alert_ids, "file": str(html), "sha256": html_sha},
        )
        for destination, (path, rows, sha) in referrals.items():
            audit(
                session,
                "referral.write",
                actor=actor,
                object_type="referral",
                object_id=f"{destination}:{target.isoformat()}",
                details={
                    "destination": destination,
                    "alerts": [f.alert_id for f in form.by_destination(destination)],
                    "rows": rows,
                    "file": str(path),
                    "sha256": sha,
                },
            )
    bkn, gakkumdu = referrals["bkn"][1], referrals["gakkumdu"][1]
    click.echo(
        f"Form A {target.isoformat()}: {len(alert_ids)} dugaan pelanggaran dikonfirmasi "
        f"({bkn} rujukan BKN, {gakkumdu} rujukan Gakkumdu)"
    )
    click.echo(str(html))
    for path, _, _ in referrals.values():
        click.echo(str(path))
    click.echo("DRAF: periksa, lengkapi, dan tandatangani sebelum dipakai.")


def register(cli: click.Group) -> None:
    cli.add_command(form_a_cmd)
