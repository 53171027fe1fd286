"""monitor.store.retry: database work rides out a lost connection.

The end-to-end tests run against a PRIVATE PostgreSQL server that each test module starts
for itself (initdb into a temporary folder, a free port, its own socket folder), and stop
and start it while work is under way: the shared server at 127.0.0.1:5432 is never touched.
They are skipped, with the reason, where the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loguru import logger
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.models import JobRunRow
from monitor.store.retry import (
    DatabaseUnavailable,
    backoff,
    describe,
    is_disconnect,
    run_with_retry,
)

T0 = datetime(2024, 11, 1, 0, 0, tzinfo=UTC)
PASSWORD = "retry-pw-never-logged"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert port != 5432
    return port


def add_run(store: Store, job: str) -> None:
    with store.session() as session:
        session.add(JobRunRow(job=job, scheduled_for=T0, status="ok", details={}))


def runs(store: Store) -> dict[str, int]:
    with store.session() as session:
        rows = session.execute(select(JobRunRow.job, func.count()).group_by(JobRunRow.job))
        return {job: count for job, count in rows.all()}


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    captured: list[str] = []
    sink = logger.add(lambda m: captured.append(str(m)), level="WARNING", format="{message}")
    yield captured
    logger.remove(sink)


@pytest.fixture
def dead_store() -> Iterator[Store]:
    """A PostgreSQL URL where nothing listens: every connection is refused."""
    store = Store(f"postgresql+psycopg://asn:{PASSWORD}@127.0.0.1:{free_port()}/asn")
    yield store
    store.dispose()


def connect(store: Store) -> None:
    with store.session() as session:
        session.execute(select(1))


def refused(store: Store) -> OperationalError:
    with pytest.raises(OperationalError) as caught:
        connect(store)
    return caught.value


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []
        self.retries: list[tuple[int, float, BaseException]] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def on_retry(self, attempt: int, delay: float, exc: BaseException) -> None:
        self.retries.append((attempt, delay, exc))


# -- what counts as a lost connection: table ----------------------------------------------


def _wrapped_refusal(dead: Store) -> BaseException:
    try:
        raise StoreError("basis data tidak dapat dihubungi") from refused(dead)
    except StoreError as exc:
        return exc


def _integrity(store: Store) -> BaseException:
    add_run(store, "twice")
    with pytest.raises(IntegrityError) as caught:
        add_run(store, "twice")
    return caught.value


def _sqlite_no_table(tmp: Path) -> BaseException:
    empty = Store(f"sqlite:///{tmp / 'empty.db'}")
    with pytest.raises(OperationalError) as caught, empty.session() as session:
        session.execute(select(JobRunRow))
    empty.dispose()
    return caught.value


def _gave_up(dead: Store) -> BaseException:
    with pytest.raises(DatabaseUnavailable) as caught:
        run_with_retry(lambda: connect(dead), what="inner", attempts=1)
    return caught.value


CASES: list[tuple[str, Callable[[Store, Store, Path], BaseException], bool]] = [
    ("connection refused", lambda dead, _s, _t: refused(dead), True),
    ("refusal wrapped in StoreError", lambda dead, _s, _t: _wrapped_refusal(dead), True),
    ("unique constraint", lambda _d, store, _t: _integrity(store), False),
    ("sqlite: no such table", lambda _d, _s, tmp: _sqlite_no_table(tmp), False),
    ("an inner retry gave up", lambda dead, _s, _t: _gave_up(dead), False),
    ("not a database error", lambda _d, _s, _t: ValueError("x"), False),
]


@pytest.mark.parametrize(("case", "make", "expected"), CASES, ids=[c[0] for c in CASES])
def test_which_errors_are_a_lost_connection(
    case: str,
    make: Callable[[Store, Store, Path], BaseException],
    expected: bool,
    dead_store: Store,
    store: Store,
    tmp_path: Path,
) -> None:
    assert is_disconnect(make(dead_store, store, tmp_path)) is expected


def test_the_log_line_is_the_drivers_first_line_only(dead_store: Store) -> None:
    text = describe(refused(dead_store))
    assert text.startswith("connection failed:")
    assert "\n" not in text and "[SQL" not in text and PASSWORD not in text


# -- backoff -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (1, 0.5, 1.0),
        (2, 1.0, 2.0),
        (3, 2.0, 4.0),
        (6, 16.0, 32.0),
        (7, 30.0, 60.0),
        (60, 30.0, 60.0),
    ],
)
def test_backoff_doubles_with_jitter_up_to_the_cap(attempt: int, low: float, high: float) -> None:
    rng = random.Random(7)
    delays = [backoff(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jittered


# -- run_with_retry against refused connections -------------------------------------------


def test_work_is_tried_again_until_the_database_answers(
    dead_store: Store, store: Store, warnings: list[str]
) -> None:
    calls: list[int] = []

    def work() -> dict[str, int]:
        calls.append(1)
        target = dead_store if len(calls) <= 2 else store  # the first two tries are refused
        add_run(target, "collect")
        return runs(target)

    rec = Recorder()
    result = run_with_retry(
        work, what="collect", base=1.0, cap=60.0, sleep=rec.sleep, on_retry=rec.on_retry
    )
    assert result == {"collect": 1}
    assert len(calls) == 3
    assert [attempt for attempt, _, _ in rec.retries] == [1, 2]
    assert rec.waits == [delay for _, delay, _ in rec.retries]
    assert 0.5 <= rec.waits[0] <= 1.0 and 1.0 <= rec.waits[1] <= 2.0
    assert len(warnings) == 2
    assert all("collect: database connection lost (connection failed:" in w for w in warnings)
    assert not any(PASSWORD in w for w in warnings)


def test_it_gives_up_with_a_store_error(dead_store: Store, warnings: list[str]) -> None:
    rec = Recorder()
    with pytest.raises(DatabaseUnavailable) as caught:
        run_with_retry(lambda: connect(dead_store), what="digest", attempts=3, sleep=rec.sleep)
    assert isinstance(caught.value, StoreError)
    assert str(caught.value).startswith(
        "digest: basis data tidak dapat dihubungi setelah 3 kali percobaan: connection failed:"
    )
    assert len(rec.waits) == 2
    assert len(warnings) == 3  # two retries, then the error
    assert not any(PASSWORD in w for w in warnings)


def test_other_errors_are_raised_at_once(store: Store) -> None:
    add_run(store, "once")
    rec = Recorder()
    with pytest.raises(IntegrityError):
        run_with_retry(lambda: add_run(store, "once"), what="x", sleep=rec.sleep)
    assert rec.waits == []


def test_a_stop_ends_the_wait(dead_store: Store) -> None:
    stop = threading.Event()
    stop.set()
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        connect(dead_store)

    with pytest.raises(DatabaseUnavailable, match="dihentikan saat menunggu basis data"):
        run_with_retry(work, what="collect", stop=stop)
    assert calls == [1]


# -- a private PostgreSQL server, stopped and started under the work ----------------------


def _version(pg_ctl: Path) -> tuple[int, ...]:
    name = pg_ctl.parent.parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _server_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin (Debian), else pg_ctl on the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_version)
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivatePostgres:
    """initdb + pg_ctl in a temporary folder; run as ``postgres`` when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.dir = Path(tempfile.mkdtemp(prefix="asnmon-pg-"))
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--no-sync", "--no-locale", "-E", "UTF8")  # fmt: skip

    def _pg(self, tool: str, *args: str) -> None:
        proc = subprocess.run(
            [*self.as_user, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stderr}\n{tail}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                 str(self.dir / "server.log"), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self) -> str:
        return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    bindir = _server_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bindir)
    try:
        server.start()
        store = Store(server.url())
        store.upgrade()
        store.dispose()
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_store(private_pg: PrivatePostgres) -> Iterator[Store]:
    store = Store(private_pg.url())
    with store.session() as session:
        session.execute(delete(JobRunRow))
    yield store
    store.dispose()


def test_work_waits_through_a_restart_and_resumes(
    private_pg: PrivatePostgres, pg_store: Store, warnings: list[str]
) -> None:
    add_run(pg_store, "before")  # committed before the outage: must survive it
    stopped, retried_twice = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def outage() -> None:
        try:
            private_pg.stop()  # pg_ctl stop -m fast: open sessions are cut off
            stopped.set()
            retried_twice.wait(timeout=120)  # the work is waiting while the server is down
            private_pg.start()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
            stopped.set()

    thread = threading.Thread(target=outage)
    tries: list[int] = []

    def work() -> dict[str, int]:
        tries.append(1)
        with pg_store.session() as session:
            session.add(JobRunRow(job="during", scheduled_for=T0, status="ok", details={}))
            session.flush()  # the row is written in the open transaction ...
            if len(tries) == 1:
                thread.start()
                stopped.wait(timeout=120)  # ... when the server goes away under it
        return runs(pg_store)

    errors: list[BaseException] = []

    def on_retry(attempt: int, _delay: float, exc: BaseException) -> None:
        errors.append(exc)
        if attempt >= 2:
            retried_twice.set()

    result = run_with_retry(
        work, what="collect", attempts=200, base=0.05, cap=0.5, on_retry=on_retry
    )
    thread.join(timeout=120)
    assert failures == []
    assert result == {"before": 1, "during": 1}  # nothing lost, nothing twice
    assert runs(pg_store) == {"before": 1, "during": 1}
    assert len(tries) >= 3 and len(errors) == len(tries) - 1
    assert all(is_disconnect(e) for e in errors)
    # the first try lost its connection mid-transaction; later ones were refused at connect
    assert isinstance(errors[0], OperationalError) and errors[0].connection_invalidated
    assert describe(errors[1]).startswith("connection failed")
    assert len(warnings) == len(errors)
    assert not any(PASSWORD in w for w in warnings)


def test_work_gives_up_while_the_server_stays_down(
    private_pg: PrivatePostgres, pg_store: Store
) -> None:
    add_run(pg_store, "before")
    rec = Recorder()
    private_pg.stop()
    try:
        with pytest.raises(DatabaseUnavailable):
            run_with_retry(
                lambda: add_run(pg_store, "during"), what="retention", attempts=4, sleep=rec.sleep
            )
    finally:
        private_pg.start()
    assert len(rec.waits) == 3
    assert runs(pg_store) == {"before": 1}  # the same store works again once it is back
