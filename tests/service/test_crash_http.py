"""SIGKILL part-way through a collection over HTTP (the Mastodon collector against a local
server), then run again: cursors never run ahead of the posts they cover, and the second run
completes the collection with no post lost or stored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from monitor.store import Store
from monitor.store.models import AccountRow, CursorRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import ROOT, run_cli, write_watchlist

ACCOUNTS = 12
STATUSES = 30
LIMIT = 5
LATENCY = 0.03
BASE = datetime.now(UTC) - timedelta(hours=2)


def status_ids(account: int) -> list[int]:
    return [account * 1000 + k for k in range(1, STATUSES + 1)]


def make_handler(server: HTTPServer):  # type: ignore[no-untyped-def]
    def status(account: int, sid: int) -> dict[str, object]:
        return {
            "id": str(sid),
            "created_at": (BASE + timedelta(minutes=sid % 1000)).isoformat(),
            "content": f"<p>unggahan {sid}<br>baris kedua</p>",
            "url": f"{server.url_for('')}@user{account}/{sid}",
            "uri": f"{server.url_for('')}users/user{account}/statuses/{sid}",
            "account": {"id": str(account), "acct": f"user{account}"},
            "reblog": None,
            "spoiler_text": "",
            "media_attachments": [],
        }

    def handle(request: Request) -> Response:
        time.sleep(LATENCY)
        if request.path == "/api/v1/accounts/lookup":
            user = request.args["acct"]
            number = user.removeprefix("user")
            return Response(
                json.dumps({"id": number, "username": user, "acct": user}),
                content_type="application/json",
            )
        account = int(request.path.split("/")[4])
        ids = status_ids(account)
        limit = int(request.args.get("limit", LIMIT))
        if "min_id" in request.args:
            newer = [i for i in ids if i > int(request.args["min_id"])][:limit]
            page = sorted(newer, reverse=True)
        elif "max_id" in request.args:
            page = [i for i in sorted(ids, reverse=True) if i < int(request.args["max_id"])][:limit]
        else:
            page = sorted(ids, reverse=True)[:limit]
        headers = {}
        if page:
            base = server.url_for(f"/api/v1/accounts/{account}/statuses")
            headers["Link"] = (
                f'<{base}?limit={limit}&max_id={min(page)}>; rel="next", '
                f'<{base}?limit={limit}&min_id={max(page)}>; rel="prev"'
            )
        body = json.dumps([status(account, i) for i in page])
        return Response(body, content_type="application/json", headers=headers)

    return handle


def stored_ids(store: Store) -> dict[str, list[int]]:
    with store.session() as session:
        rows = session.execute(
            select(AccountRow.handle, PostRow.post_id).join(
                AccountRow, AccountRow.id == PostRow.account_id
            )
        ).all()
    out: dict[str, list[int]] = {}
    for handle, post_id in rows:
        out.setdefault(handle.lstrip("@"), []).append(int(post_id))
    return out


def cursors(store: Store) -> dict[str, int]:
    with store.session() as session:
        rows = session.execute(
            select(AccountRow.handle, CursorRow.value).join(
                AccountRow, AccountRow.id == CursorRow.account_id
            )
        ).all()
    return {handle.lstrip("@"): int(json.loads(value)["min_id"]) for handle, value in rows}


def assert_consistent(store: Store) -> None:
    """A cursor covers only posts that are stored: nothing at or below it is missing."""
    posts = stored_ids(store)
    for handle, newest in cursors(store).items():
        account = int(handle.removeprefix("user"))
        covered = {i for i in status_ids(account) if i <= newest}
        assert covered <= set(posts.get(handle, [])), handle


@pytest.mark.slow
def test_sigkill_during_http_collection_keeps_cursors_and_posts_consistent(
    tmp_path: Path, store: Store, database_url: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_handler(
        make_handler(httpserver)
    )
    for account in range(1, ACCOUNTS + 1):
        httpserver.expect_request(f"/api/v1/accounts/{account}/statuses").respond_with_handler(
            make_handler(httpserver)
        )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(
        "rules:\n  - id: money.dawn\n    title: Serangan fajar\n    category: money_politics\n"
        "    severity: critical\n    legal_basis: [x]\n    match: {any: [serangan fajar]}\n",
        encoding="utf-8",
    )
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""\
rules: {{paths: [rules]}}
collectors:
  masto:
    type: mastodon
    instance: "{httpserver.url_for("").rstrip("/")}"
    limit: {LIMIT}
    max_pages: 50
    rate: null
    concurrency: 3
pipeline: {{batch_size: 5}}
""",
        encoding="utf-8",
    )
    watchlist = write_watchlist(
        tmp_path / "w.csv",
        [f"P{a},Orang {a},,Dinas,,,PNS,mastodon,user{a},,," for a in range(1, ACCOUNTS + 1)],
    )
    assert import_watchlist(store, watchlist).problems == []
    total = ACCOUNTS * STATUSES

    env = {**os.environ, "MONITOR_DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(config), "run", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with store.session() as session:
                seen = session.scalar(select(func.count()).select_from(PostRow)) or 0
            if 0 < seen < total:
                proc.send_signal(signal.SIGKILL)
                killed_at = seen
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert killed_at is not None, "the run ended before any post was stored"
    assert proc.returncode == -signal.SIGKILL
    assert_consistent(store)
    assert sum(len(v) for v in stored_ids(store).values()) < total

    second = run_cli("-c", str(config), "run", "--once", database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert_consistent(store)
    posts = stored_ids(store)
    assert {h: sorted(ids) for h, ids in posts.items()} == {
        f"user{a}": status_ids(a) for a in range(1, ACCOUNTS + 1)
    }
    assert cursors(store) == {f"user{a}": max(status_ids(a)) for a in range(1, ACCOUNTS + 1)}
    with store.session() as session:
        text = session.scalar(select(PostRow.text).where(PostRow.post_id == "1001"))
    assert text == "unggahan 1001\nbaris kedua"  # line breaks survive
