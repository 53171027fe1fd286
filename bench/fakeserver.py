"""A local JSON server for the benchmarks, in a process of its own (it must not compete
with the service for the interpreter lock). ``respond(path, query)`` gives the body to
send as JSON, or None for 404; every answer waits ``latency`` seconds first."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Respond = Callable[[str, dict[str, list[str]]], object | None]


def _serve(respond: Respond, latency: float, ports: multiprocessing.Queue[int]) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(latency)
            parts = urlsplit(self.path)
            body = respond(parts.path, parse_qs(parts.query))
            if body is None:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


def start(respond: Respond, latency: float) -> tuple[multiprocessing.Process, str]:
    """The server process and its base URL. ``respond`` must be a module-level function."""
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(respond, latency, ports), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ports.get(timeout=30)}"
