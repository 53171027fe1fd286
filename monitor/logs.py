"""Logging: loguru to stderr (journald picks it up), standard-library logging routed
through it, optional JSON lines. Log messages are English; people read the CLI output."""

from __future__ import annotations

import logging
import sys
from types import FrameType

from loguru import logger


class InterceptHandler(logging.Handler):
    """Sends standard-library records (SQLAlchemy, Alembic, APScheduler) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 2
        while frame is not None and frame.f_code.co_filename == logging.__file__:
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    logger.remove()
    logger.add(
        sys.stderr,
        level=level,
        serialize=json_lines,
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}: {message}",
        backtrace=False,
        diagnose=False,
    )
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True)
    for noisy in ("alembic.runtime.migration",):
        logging.getLogger(noisy).setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)
