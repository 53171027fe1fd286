"""Soak: the service (``asn-monitor run``, a real subprocess) against 1,000 accounts on a
local fake Mastodon server for 10 minutes. Every account gains a post every minute (some
of them violations), so collection, detection, notices and delivery keep working the whole
time. Prints the service's memory growth from the end of warm-up to the end (goal: under
10%) and the error count (failed polls, failed deliveries, ERROR log lines; goal: 0).

    .venv/bin/python bench/soak.py [--accounts 1000] [--minutes 10] [--warmup 2]
        [--database-url postgresql://.../empty_db]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fakeserver
from sqlalchemy import func, select

from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.models import AlertRow, CollectionRunRow, OutboxRow, PostRow
from monitor.store.people import upsert_account, upsert_person

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "rapat koordinasi pagi ini di aula kantor",
    "ayo coblos nomor 2 ya bapak ibu",
    "selamat hari guru untuk semua rekan",
    "besok serangan fajar di posko 7",
]
RULES = """\
rules:
  - id: money.dawn
    title: Serangan fajar
    category: money_politics
    severity: critical
    legal_basis: ["UU 10/2016 Ps. 187A"]
    match: {any: [serangan fajar]}
  - id: support.appeal
    title: Ajakan memilih
    category: support
    severity: high
    legal_basis: ["SKB 2022"]
    match: {any: [coblos nomor]}
"""


STARTED = datetime.now(UTC)


def respond(path: str, query: dict[str, list[str]]) -> object | None:
    """A Mastodon server whose accounts post once a minute since it started."""
    if path == "/api/v1/accounts/lookup":
        user = query["acct"][0]
        return {"id": user.removeprefix("user"), "username": user, "acct": user}
    if not path.endswith("/statuses"):
        return None
    number = int(path.split("/")[-2])
    minutes = int((datetime.now(UTC) - STARTED).total_seconds() // 60) + 1
    ids = [number * 100_000 + m for m in range(minutes)]
    if "min_id" in query:
        page = sorted(i for i in ids if i > int(query["min_id"][0]))[:40][::-1]
    elif "max_id" in query:
        page = [i for i in sorted(ids, reverse=True) if i < int(query["max_id"][0])][:40]
    else:
        page = sorted(ids, reverse=True)[:40]
    return [
        {
            "id": str(i),
            "created_at": (STARTED + timedelta(minutes=i % 100_000)).isoformat(),
            "content": f"<p>{TEXTS[(i + number) % len(TEXTS)]} {i}</p>",
            "url": f"http://soak.local/@user{number}/{i}",
            "account": {"acct": f"user{number}"},
            "reblog": None,
            "spoiler_text": "",
            "media_attachments": [],
        }
        for i in page
    ]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2, help="minutes before the baseline")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to use instead of a new SQLite file (e.g. PostgreSQL)",
    )
    args = parser.parse_args()

    server, base_url = fakeserver.start(respond, args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "rules").mkdir()
        (folder / "rules" / "soak.yaml").write_text(RULES, encoding="utf-8")
        config = folder / "monitor.yaml"
        config.write_text(
            f"""\
var_dir: var
rules: {{paths: [rules]}}
collectors:
  masto:
    type: mastodon
    instance: "{base_url}"
    interval: 60s
    jitter: 0.2
    rate: null
    concurrency: 16
    rescan_every: 0
notifiers:
  kotak: {{type: file, dir: kotak, formats: [eml]}}
daemon: {{collect_every: 5, detect_every: 5, deliver_every: 5}}
logging: {{level: WARNING}}
""",
            encoding="utf-8",
        )
        url = args.database_url or f"sqlite:///{folder / 'var' / 'asn-monitor.db'}"
        store = Store(url)
        store.upgrade()
        with store.session() as session:
            person, _ = upsert_person(
                session, Person(key="P", name="Soak", employment_type=EmploymentType.PNS)
            )
            for i in range(args.accounts):
                upsert_account(session, Account("mastodon", f"user{i}", "P"), person)
        log = folder / "service.log"
        # as the systemd unit runs it: one malloc arena per thread would hold freed memory
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "MALLOC_ARENA_MAX": "2",
            "MONITOR_DATABASE_URL": url,
        }
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "-c", str(config), "run"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        print(f"{args.accounts} accounts, {args.minutes:g} min, service pid {proc.pid}")
        started = time.monotonic()
        baseline = None
        samples = []
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                time.sleep(10)
                if proc.poll() is not None:
                    raise SystemExit(f"the service exited with {proc.returncode}")
                rss = rss_kib(proc.pid)
                samples.append((elapsed, rss))
                if baseline is None and elapsed >= args.warmup * 60:
                    baseline = rss
                print(f"  {elapsed / 60:5.1f} min  RSS {rss / 1024:7.1f} MiB", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        with store.session() as session:
            posts = session.scalar(select(func.count()).select_from(PostRow))
            alerts = session.scalar(select(func.count()).select_from(AlertRow))
            polls = session.scalar(select(func.count()).select_from(CollectionRunRow))
            failed_polls = session.scalar(
                select(func.count())
                .select_from(CollectionRunRow)
                .where(CollectionRunRow.status != "ok")
            )
            poll_errors = list(
                session.scalars(
                    select(CollectionRunRow.error)
                    .where(CollectionRunRow.status != "ok")
                    .order_by(CollectionRunRow.id)
                    .limit(5)
                )
            )
            failed_messages = session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.last_error.is_not(None))
            )
        errors_logged = sum(1 for line in log.read_text("utf-8").splitlines() if "| ERROR" in line)
        store.dispose()
    server.terminate()
    final = samples[-1][1] if samples else 0
    growth = (final - baseline) / baseline * 100 if baseline else float("nan")
    errors = (failed_polls or 0) + (failed_messages or 0) + errors_logged
    print(f"{polls} polls, {posts} posts, {alerts} alerts; service exit code {code} after SIGTERM")
    print(
        f"memory growth after warm-up: {growth:+.1f}% "
        f"({baseline / 1024 if baseline else 0:.1f} -> {final / 1024:.1f} MiB; goal < 10%: "
        f"{'met' if growth < 10 else 'NOT met'})"
    )
    print(
        f"errors: {errors} (failed polls {failed_polls}, failed deliveries {failed_messages}, "
        f"ERROR log lines {errors_logged}; goal 0: {'met' if errors == 0 else 'NOT met'})"
    )
    for error in poll_errors:
        print(f"  failed poll: {error}")


if __name__ == "__main__":
    main()
