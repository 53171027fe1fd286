"""The database handle: ``database.echo`` logs statements through the service log only,
and bound parameters (post texts, names) never reach a log line or an error message."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from monitor.logs import setup_logging
from monitor.store.db import SQL_LOGGER, Store

PERSONAL = "Budi Santoso mengajak coblos nomor 2"
INSERT = text("INSERT INTO note VALUES (:id, :body)")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    sql_level = logging.getLogger(SQL_LOGGER).level
    out = io.StringIO()
    setup_logging("INFO", stream=out)
    yield out
    logger.remove()
    logger.configure(patcher=lambda _record: None)
    logger.add(sys.stderr)
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger(SQL_LOGGER).setLevel(sql_level)


def _write_twice(store: Store) -> str:
    """Insert a row with personal text, then the same key again; the error's text."""
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        connection.execute(INSERT, {"id": 1, "body": PERSONAL})
    with pytest.raises(IntegrityError) as caught, store.engine.begin() as connection:
        connection.execute(INSERT, {"id": 1, "body": PERSONAL})
    return str(caught.value)


@pytest.mark.parametrize(
    ("echo", "statements_logged"),
    [
        (False, False),
        (True, True),
    ],
)
def test_echo_goes_through_the_service_log_without_parameters(
    tmp_path: Path,
    log_stream: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    echo: bool,
    statements_logged: bool,
) -> None:
    store = Store(f"sqlite:///{tmp_path}/echo.db", echo=echo)
    try:
        error = _write_twice(store)
    finally:
        store.engine.dispose()
    logged = log_stream.getvalue()
    captured = capsys.readouterr()
    assert ("INSERT INTO note" in logged) is statements_logged
    if statements_logged:
        assert "| INFO    | sqlalchemy.engine" in logged
    # never SQLAlchemy's own handler on stdout/stderr, never the parameters
    assert "INSERT INTO note" not in captured.out + captured.err
    for where in (logged, captured.out, captured.err, error):
        assert PERSONAL not in where
    assert "hide_parameters" in error
