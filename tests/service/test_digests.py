"""The scheduled daily digest by e-mail (a local SMTP server) under a frozen clock: each
window sent exactly once, no gap across restarts and downtime, an SMTP outage retried until
the mail goes through, and the immediate notices of the same run."""

from __future__ import annotations

import contextlib
import email
import email.policy
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from monitor.service.components import build_collectors, build_decider
from monitor.service.digests import send_due_digest
from monitor.service.notifying import alert_hook, build_notifiers, deliver
from monitor.service.pipeline import run_once
from monitor.settings import Settings, load_settings
from monitor.store import Store
from monitor.store.models import DigestRow, OutboxRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line, write_lines
from tests.service.helpers import make_project


class Inbox:
    """An SMTP server on localhost that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks the port it is given)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    with contextlib.suppress(RuntimeError, AssertionError):  # the test may have stopped it
        controller.stop()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, day, hour, minute, tzinfo=UTC)


def configure(config: Path, port: int) -> Settings:
    text = config.read_text(encoding="utf-8")
    text += f"""\
notifiers:
  kantor:
    type: email
    host: 127.0.0.1
    port: {port}
    security: none
    sender: "asn-monitor <monitor@bawaslu.example>"
    to: ["pengawas@bawaslu.example"]
    timeout: 2
digest:
  time: "07:00"
notices:
  min_severity: critical
outbox:
  backoff_base: 60
  backoff_max: 600
"""
    config.write_text(text, encoding="utf-8")
    settings, _ = load_settings(config)
    return settings


def run_at(store: Store, settings: Settings, now: datetime) -> int:
    notifiers = build_notifiers(settings)
    report = run_once(
        store,
        build_collectors(settings),
        build_decider(settings),
        batch_size=50,
        clock=lambda: now,
        on_alerts=alert_hook(settings, notifiers),
    )
    deliver(store, notifiers, settings, clock=lambda: now)
    return report.detected.flagged


def send_at(store: Store, settings: Settings, now: datetime) -> tuple[bool, int]:
    notifiers = build_notifiers(settings)
    outcome = send_due_digest(store, settings, notifiers, build_collectors(settings), now=now)
    report = deliver(store, notifiers, settings, clock=lambda: now, rng=random.Random(1))
    return outcome is not None, report.sent


def digests(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if "Ringkasan harian" in str(m["Subject"])]


def csv_rows(message: EmailMessage) -> list[str]:
    [attachment] = list(message.iter_attachments())
    return attachment.get_content().lstrip("\ufeff").splitlines()[1:]


def test_each_window_is_mailed_once_with_no_gap_across_restarts_and_an_outage(
    tmp_path: Path, store: Store, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    posts = [
        post_line("1", "besok serangan fajar di posko 7", author="@ani"),
        post_line("2", "ayo coblos nomor 2 ya", author="@budi"),
    ]
    config = make_project(tmp_path, posts=posts)
    import_watchlist(store, tmp_path / "watchlist.csv")
    settings = configure(config, controller.port)

    # alerts raised on 24 Nov at 10:00 WIB; the critical one is noticed at once
    assert run_at(store, settings, utc(24, 3)) == 2
    notices = [m for m in inbox.messages if "Ringkasan" not in str(m["Subject"])]
    assert [str(m["Subject"]) for m in notices] == [
        "[asn-monitor] [Kritis] Politik uang: Orang 0 (Dinas 0), X (Twitter) @ani"
    ]

    # the service was down at 07:00 on the 25th and starts at 07:30: the digest goes out
    assert send_at(store, settings, utc(25, 0, 30)) == (True, 1)
    [first] = digests(inbox)
    assert "2 peringatan baru" in str(first["Subject"])
    assert len(csv_rows(first)) == 2
    body = first.get_body(preferencelist=("html",))
    assert body is not None and "Menunggu tinjauan" in body.get_content()
    # a restart the same morning sends nothing again
    assert send_at(store, settings, utc(25, 2)) == (False, 0)

    # new alerts on the 25th, then the SMTP server is down at the next digest time
    write_lines(
        tmp_path / "posts.jsonl",
        [*posts, post_line("3", "ayo coblos nomor 2 ya bapak ibu", author="@citra")],
    )
    assert run_at(store, settings, utc(25, 5)) == 1
    controller.stop()
    assert send_at(store, settings, utc(26, 0)) == (True, 0)
    with store.session() as session:
        [waiting] = session.scalars(select(OutboxRow).where(OutboxRow.status == "pending"))
        assert waiting.attempts == 1 and waiting.last_error
        assert waiting.next_attempt_at is not None
        retry_at = waiting.next_attempt_at
    # the server is back; delivery before the retry time does nothing, after it sends once
    restarted = Controller(inbox, hostname="127.0.0.1", port=controller.port)
    restarted.start()
    try:
        assert (
            deliver(store, build_notifiers(settings), settings, clock=lambda: utc(26, 0)).sent == 0
        )
        later = retry_at + timedelta(seconds=1)
        assert deliver(store, build_notifiers(settings), settings, clock=lambda: later).sent == 1
        assert deliver(store, build_notifiers(settings), settings, clock=lambda: later).sent == 0
        # three days without the service: one digest covers the whole gap
        assert send_at(store, settings, utc(29, 1)) == (True, 1)
    finally:
        restarted.stop()

    sent = digests(inbox)
    assert len(sent) == 3
    assert len({m["Message-ID"] for m in sent}) == 3
    assert [len(csv_rows(m)) for m in sent] == [2, 1, 0]
    with store.session() as session:
        windows = session.execute(
            select(DigestRow.window_start, DigestRow.window_end)
            .where(DigestRow.kind == "scheduled")
            .order_by(DigestRow.window_start)
        ).all()
    assert [tuple(w) for w in windows] == [
        (utc(24, 0), utc(25, 0)),
        (utc(25, 0), utc(26, 0)),
        (utc(26, 0), utc(29, 0)),
    ]
