"""Talking to systemd (``Type=notify``) without a dependency: the sd_notify protocol.

systemd passes the path of a datagram socket in ``$NOTIFY_SOCKET``: a filesystem path, or
an abstract socket written with a leading ``@``. Each notification is one datagram of
``KEY=value`` lines (sd_notify(3)). The service says:

- ``ready(status)`` once it is started (systemd then reports the unit active),
- ``status(text)`` with a short line after each job (shown by ``systemctl status``),
- ``watchdog()`` periodically, when ``watchdog_interval()`` is not None; ping every half
  interval, and only while the service is healthy (``WatchdogSec=`` in the unit),
- ``reloading()`` when it starts re-reading its files on SIGHUP, then ``ready()`` again,
- ``stopping()`` on SIGTERM, before it winds down.

Outside systemd (``$NOTIFY_SOCKET`` unset) every function is a no-op that returns False.
A notification that cannot be sent is logged, never raised: the service keeps running,
and systemd's own timeouts (start, watchdog) decide what that means.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

from loguru import logger

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
WATCHDOG_PID_ENV = "WATCHDOG_PID"


def notify(*fields: str) -> bool:
    """Send ``KEY=value`` fields as one datagram to ``$NOTIFY_SOCKET``. True when sent;
    False when there is no socket (not under systemd) or sending failed (logged)."""
    address = _socket_address(os.environ.get(NOTIFY_SOCKET_ENV, ""))
    if address is None:
        return False
    message = "\n".join(fields).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError as exc:
        logger.warning("sd_notify to {} failed: {}", os.environ.get(NOTIFY_SOCKET_ENV), exc)
        return False
    return True


def ready(status: str | None = None) -> bool:
    """The service has started (or finished reloading) and does its work."""
    fields = ["READY=1"]
    if status:
        fields.append(_status_field(status))
    return notify(*fields)


def status(text: str) -> bool:
    """A one-line status, shown by ``systemctl status``."""
    return notify(_status_field(text))


def watchdog() -> bool:
    """Tell the watchdog the service is alive (``WatchdogSec=``)."""
    return notify("WATCHDOG=1")


def reloading() -> bool:
    """The service is re-reading its files; send ``ready()`` when done. systemd 253+ wants
    the CLOCK_MONOTONIC time with it; older versions ignore it."""
    return notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")


def stopping(status: str | None = None) -> bool:
    """The service received SIGTERM and is shutting down."""
    fields = ["STOPPING=1"]
    if status:
        fields.append(_status_field(status))
    return notify(*fields)


def watchdog_interval(
    environ: Mapping[str, str] | None = None, pid: int | None = None
) -> float | None:
    """The watchdog timeout in seconds that systemd expects pings within, or None when
    there is no watchdog for this process: ``$WATCHDOG_USEC`` unset, not a positive
    integer, or ``$WATCHDOG_PID`` naming another process. Ping every half of it."""
    env = os.environ if environ is None else environ
    usec_text = env.get(WATCHDOG_USEC_ENV, "").strip()
    if not usec_text.isdigit() or int(usec_text) <= 0:
        return None
    pid_text = env.get(WATCHDOG_PID_ENV, "").strip()
    if pid_text:
        if not pid_text.isdigit():
            return None
        if int(pid_text) != (os.getpid() if pid is None else pid):
            return None
    return int(usec_text) / 1_000_000


def _socket_address(value: str) -> str | None:
    if value.startswith("@"):
        return "\0" + value[1:]  # the abstract namespace (Linux)
    if value.startswith("/"):
        return value
    if value:
        logger.debug("NOTIFY_SOCKET {!r} is not a unix socket; not notifying", value)
    return None


def _status_field(text: str) -> str:
    # one line: a newline would start another field (e.g. a forged READY=1)
    return "STATUS=" + " ".join(text.split())
