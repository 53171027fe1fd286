"""What every command shares: the configuration, the database, how to print problems."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import NoReturn

import click

from monitor.errors import ConfigError, MonitorError, Problem, StoreError
from monitor.logs import secrets_from_settings, setup_logging
from monitor.settings import Settings, default_config_path, load_settings
from monitor.store import Store
from monitor.yamlfile import YamlDocument


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"galat: {message}", err=True)
    raise SystemExit(code)


def echo_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


class Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = Path(config_path) if config_path else default_config_path()

    @cached_property
    def loaded(self) -> tuple[Settings, YamlDocument | None]:
        try:
            settings, doc = load_settings(self.config_path)
        except ConfigError as exc:
            echo_problems(exc.problems)
            fail(f"konfigurasi {self.config_path} tidak valid ({len(exc.errors)} galat)")
        setup_logging(
            settings.logging.level,
            json_lines=settings.logging.json_lines,
            secrets=secrets_from_settings(settings),
        )
        return settings, doc

    @property
    def settings(self) -> Settings:
        return self.loaded[0]

    @cached_property
    def store(self) -> Store:
        """The database, migrated on first use when ``auto_upgrade`` allows."""
        try:
            store = Store(self.settings.database_url, echo=self.settings.database.echo)
            if self.settings.auto_upgrade:
                store.upgrade()
            else:
                store.check_current()
        except StoreError as exc:
            fail(str(exc))
        return store

    def guard(self, error: MonitorError) -> NoReturn:
        problems = getattr(error, "problems", None)
        if problems:
            echo_problems(problems)
            fail(f"{len(problems)} masalah ditemukan")
        fail(str(error))
