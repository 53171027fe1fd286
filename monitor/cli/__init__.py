"""The ``asn-monitor`` command. The CLI is the only place that prints; messages are in
Bahasa Indonesia, logs (stderr) in English.

Exit codes: 0 success, 1 errors in input or configuration, 2 usage errors (and warnings
with ``--strict`` where a command has it).
"""

from __future__ import annotations

import sys

import click

from monitor import __version__
from monitor.cli.context import Context, fail
from monitor.errors import MonitorError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MONITOR_CONFIG",
    help="Berkas konfigurasi YAML (bawaan: ./monitor.yaml bila ada).",
)
@click.version_option(__version__, "--version", message="asn-monitor %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """asn-monitor: pemantau netralitas ASN di media sosial untuk pengawas pemilihan.

    Perangkat lunak ini hanya menandai unggahan; keputusan ada pada pengawas."""
    ctx.obj = Context(config_path)


def _register() -> None:
    from monitor.cli import (
        alerts_cmd,
        collectors_cmd,
        config_cmd,
        db_cmd,
        digest_cmd,
        feedback_cmd,
        forma_cmd,
        model_cmd,
        plugins_cmd,
        posts_cmd,
        purge_cmd,
        release_cmd,
        rules_cmd,
        run_cmd,
        scan_cmd,
        status_cmd,
        submit_cmd,
        watchlist_cmd,
    )

    modules = (
        config_cmd, db_cmd, watchlist_cmd, posts_cmd, rules_cmd, run_cmd, scan_cmd, digest_cmd,
        plugins_cmd, model_cmd, feedback_cmd, submit_cmd, collectors_cmd,
        status_cmd, forma_cmd, alerts_cmd, purge_cmd, release_cmd,
    )  # fmt: skip
    for module in modules:
        module.register(cli)


_register()


def main() -> None:
    try:
        cli.main(prog_name="asn-monitor", standalone_mode=True)
    except MonitorError as exc:  # pragma: no cover - commands report their own errors
        fail(str(exc))
        sys.exit(1)
