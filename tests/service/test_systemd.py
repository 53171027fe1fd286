"""sd_notify: a real unix datagram socket stands in for systemd and receives each
notification; the watchdog interval is read from the environment systemd would set."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.service import systemd


@pytest.fixture(params=["path", "abstract"])
def listener(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[socket.socket]:
    """A datagram socket like systemd's, named in $NOTIFY_SOCKET: a filesystem path, or an
    abstract address written with a leading '@'."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.settimeout(5)
    with tempfile.TemporaryDirectory(prefix="sd") as short:  # sun_path holds 108 bytes
        if request.param == "path":
            address = str(Path(short) / "notify")
            sock.bind(address)
            monkeypatch.setenv("NOTIFY_SOCKET", address)
        else:
            name = f"asnmon-test-{uuid.uuid4().hex}"
            sock.bind("\0" + name)
            monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        yield sock
    sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


@pytest.mark.parametrize(
    ("send", "datagram"),
    [
        (lambda: systemd.ready(), "READY=1"),
        (lambda: systemd.ready("30 akun dipantau"), "READY=1\nSTATUS=30 akun dipantau"),
        (lambda: systemd.status("collect: 12 posts"), "STATUS=collect: 12 posts"),
        (lambda: systemd.status("two\nlines\r\nREADY=1"), "STATUS=two lines READY=1"),
        (lambda: systemd.watchdog(), "WATCHDOG=1"),
        (lambda: systemd.stopping(), "STOPPING=1"),
        (lambda: systemd.stopping("SIGTERM"), "STOPPING=1\nSTATUS=SIGTERM"),
        (lambda: systemd.notify("EXTEND_TIMEOUT_USEC=5000000"), "EXTEND_TIMEOUT_USEC=5000000"),
    ],
)
def test_notifications_arrive_as_one_datagram(
    listener: socket.socket, send: Callable[[], bool], datagram: str
) -> None:
    assert send() is True
    assert received(listener) == datagram


def test_reloading_carries_the_monotonic_clock(listener: socket.socket) -> None:
    assert systemd.reloading() is True
    fields = received(listener).split("\n")
    assert fields[0] == "RELOADING=1"
    key, _, value = fields[1].partition("=")
    assert key == "MONOTONIC_USEC"
    assert value.isdigit()


def test_each_call_is_its_own_datagram(listener: socket.socket) -> None:
    systemd.ready()
    systemd.watchdog()
    systemd.stopping()
    assert [received(listener) for _ in range(3)] == ["READY=1", "WATCHDOG=1", "STOPPING=1"]


@pytest.mark.parametrize("value", [None, "", "vsock:2:1234", "relative/path"])
def test_without_a_unix_socket_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    else:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert systemd.ready("x") is False
    assert systemd.status("x") is False
    assert systemd.watchdog() is False
    assert systemd.stopping() is False


def test_a_socket_that_is_gone_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert systemd.ready() is False
    assert systemd.watchdog() is False


@pytest.mark.parametrize(
    ("environ", "seconds"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "120000000"}, 120.0),
        ({"WATCHDOG_USEC": "120000000", "WATCHDOG_PID": "4242"}, 120.0),
        ({"WATCHDOG_USEC": "120000000", "WATCHDOG_PID": "4243"}, None),  # another process
        ({"WATCHDOG_USEC": "500000"}, 0.5),
        ({"WATCHDOG_USEC": " 2000000\n"}, 2.0),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": ""}, None),
        ({"WATCHDOG_USEC": "-5"}, None),
        ({"WATCHDOG_USEC": "2m"}, None),
        ({"WATCHDOG_USEC": "120000000", "WATCHDOG_PID": "abc"}, None),
        ({"WATCHDOG_PID": "4242"}, None),
    ],
)
def test_watchdog_interval(environ: dict[str, str], seconds: float | None) -> None:
    assert systemd.watchdog_interval(environ, pid=4242) == seconds


def test_watchdog_interval_reads_the_environment_of_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_interval() == 60.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert systemd.watchdog_interval() is None
