"""``asn-monitor plugins``."""

from __future__ import annotations

import click

from monitor import plugins


@click.command("plugins")
def plugins_cmd() -> None:
    """Tampilkan pengumpul, detektor, dan notifier yang terpasang."""
    titles = {"collectors": "Pengumpul", "detectors": "Detektor", "notifiers": "Notifier"}
    for kind in plugins.KINDS:
        infos = plugins.available(kind)
        click.echo(f"{titles[kind]} ({len(infos)}):")
        if not infos:
            click.echo("  (belum ada)")
        for info in infos:
            click.echo(f"  {info.name:<16} {info.target}  [{info.distribution}]")


def register(cli: click.Group) -> None:
    cli.add_command(plugins_cmd)
