"""A handler that answers only after the client gave up, and lets the test wait until the
server logged that late answer: otherwise it lands in the next test's request log (the
local server lives for the whole session)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class LateAnswer:
    def __init__(self, respond: Callable[[], Response], *, hold: float = 5.0) -> None:
        self.respond = respond
        self.hold = hold
        self.release = threading.Event()

    def __call__(self, request: Request) -> Response:
        self.release.wait(self.hold)
        return self.respond()

    def finish(self, server: HTTPServer, path: str) -> None:
        """Answer now and wait until the server has logged the answer."""
        self.release.set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if any(request.path == path for request, _ in server.log):
                return
            time.sleep(0.01)
