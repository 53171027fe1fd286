"""Prometheus metrics of the service, served on a loopback address (``metrics.listen``).

Counters are kept in memory and fed by the daemon after each job (``record_collection``,
``record_detection``, ``record_job``). The gauges that describe the state of the database
(the outbox, account coverage, stopped collectors) are read from it at scrape time, in one
short transaction each, so that they are right even after a restart; so is the last
success of the jobs kept in the job ledger (``job_runs``).

Each daemon has its own ``CollectorRegistry`` (never prometheus_client's global one), so
tests can build several side by side.

    asn_monitor_posts_collected_total{collector}      new posts stored
    asn_monitor_polls_total{collector,status}         account polls, status ok or failed
    asn_monitor_alerts_raised_total{severity}         alerts raised
    asn_monitor_posts_decided_total                   posts (and edited versions) decided
    asn_monitor_job_runs_total{job,status}            job runs, status ok or failed
    asn_monitor_job_last_success_timestamp_seconds{job}
    asn_monitor_outbox_messages{status}               pending, sending, sent, failed
    asn_monitor_accounts_by_coverage{status}          see monitor.store.coverage
    asn_monitor_collector_breaker_open{collector}     1: not polling (breaker, broken)
    asn_monitor_database_up                           0 while the database is unreachable
    asn_monitor_build_info{version}
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from loguru import logger
from prometheus_client import CollectorRegistry, Counter, Info, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from monitor import __version__
from monitor.collect.base import Collector
from monitor.errors import ConfigError, MonitorError, Problem
from monitor.service.collecting import CollectReport
from monitor.service.coverage import coverage_report
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.coverage import STATUSES
from monitor.store.models import AlertRow, JobRunRow, OutboxRow, utcnow

SEVERITIES = ("low", "medium", "high", "critical")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
Clock = Callable[[], datetime]


def severity_counts(alerts: Iterable[AlertRow]) -> dict[str, int]:
    """Alerts per severity, for ``record_detection`` (e.g. from the daemon's alert hook)."""
    counts: dict[str, int] = {}
    for alert in alerts:
        severity = alert.severity or "unknown"
        counts[severity] = counts.get(severity, 0) + 1
    return counts


class Metrics:
    """The service's metrics, in a registry of their own."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, version: str = __version__
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self.posts_collected = Counter(
            "asn_monitor_posts_collected", "New posts stored", ["collector"], registry=reg
        )
        self.polls = Counter(
            "asn_monitor_polls", "Account polls by outcome", ["collector", "status"], registry=reg
        )
        self.alerts_raised = Counter(
            "asn_monitor_alerts_raised", "Alerts raised", ["severity"], registry=reg
        )
        self.posts_decided = Counter(
            "asn_monitor_posts_decided", "Posts the detector decided", registry=reg
        )
        self.job_runs = Counter(
            "asn_monitor_job_runs", "Runs of the service's jobs", ["job", "status"], registry=reg
        )
        for severity in SEVERITIES:
            self.alerts_raised.labels(severity=severity)
        Info("asn_monitor_build", "The running asn-monitor", registry=reg).info(
            {"version": version}
        )
        self._lock = threading.Lock()
        self._last_success: dict[str, float] = {}
        self._state = _StateCollector(self)
        reg.register(self._state)

    # -- called by the daemon after each job ---------------------------------------------

    def record_collection(self, reports: Iterable[CollectReport]) -> None:
        """After a collection pass (``collect_all``'s reports)."""
        for report in reports:
            name = report.instance
            self.posts_collected.labels(collector=name).inc(report.stored.new)
            self.polls.labels(collector=name, status="ok").inc(
                max(0, report.accounts - report.failed_accounts)
            )
            self.polls.labels(collector=name, status="failed").inc(report.failed_accounts)

    def record_detection(self, alerts_by_severity: Mapping[str, int], *, decided: int = 0) -> None:
        """After detection: alerts raised per severity (``severity_counts``), posts decided."""
        for severity, count in alerts_by_severity.items():
            self.alerts_raised.labels(severity=severity).inc(count)
        self.posts_decided.inc(decided)

    def record_job(self, job: str, ok: bool, when: datetime) -> None:
        """After each run of a job; ``when`` (timezone-aware) is its end."""
        if when.tzinfo is None:
            raise ValueError("record_job: 'when' must be timezone-aware")
        self.job_runs.labels(job=job, status="ok" if ok else "failed").inc()
        if ok:
            with self._lock:
                stamp = when.timestamp()
                self._last_success[job] = max(stamp, self._last_success.get(job, stamp))

    def last_successes(self) -> dict[str, float]:
        with self._lock:
            return dict(self._last_success)

    # -- the database ---------------------------------------------------------------------

    def watch_database(
        self,
        store: Store,
        settings: Settings,
        collectors: Mapping[str, Collector],
        *,
        clock: Clock = utcnow,
    ) -> None:
        """Read the gauges from ``store`` at each scrape (outbox, coverage, breakers, the
        job ledger). ``collectors``: the running collectors, to tell which serve which
        account; the daemon may call this again after a reload."""
        self._state.source = _Source(store, settings, dict(collectors), clock)


class _Source:
    def __init__(
        self, store: Store, settings: Settings, collectors: dict[str, Collector], clock: Clock
    ) -> None:
        self.store = store
        self.settings = settings
        self.collectors = collectors
        self.clock = clock


def _families() -> dict[str, GaugeMetricFamily]:
    return {
        "jobs": GaugeMetricFamily(
            "asn_monitor_job_last_success_timestamp_seconds",
            "When each job last finished successfully (Unix time)",
            labels=["job"],
        ),
        "outbox": GaugeMetricFamily(
            "asn_monitor_outbox_messages", "Outbox messages by status", labels=["status"]
        ),
        "coverage": GaugeMetricFamily(
            "asn_monitor_accounts_by_coverage",
            "Active watched accounts by coverage status",
            labels=["status"],
        ),
        "breakers": GaugeMetricFamily(
            "asn_monitor_collector_breaker_open",
            "1 while a collector does not poll (breaker open or half-open, broken upstream)",
            labels=["collector"],
        ),
        "db": GaugeMetricFamily(
            "asn_monitor_database_up", "1 when the last scrape could read the database"
        ),
    }


class _StateCollector(PromCollector):
    """The gauges read at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.source: _Source | None = None
        self._was_up = True

    def describe(self) -> Iterable[Metric]:
        return list(_families().values())

    def collect(self) -> Iterable[Metric]:
        families = _families()
        jobs = self.metrics.last_successes()
        source = self.source
        if source is not None:
            try:
                self._read(source, families, jobs)
            except (SQLAlchemyError, MonitorError) as exc:
                families["db"].add_metric([], 0)
                if self._was_up:
                    logger.warning("metrics: database unreadable: {}", _first_line(exc))
                self._was_up = False
            else:
                families["db"].add_metric([], 1)
                if not self._was_up:
                    logger.info("metrics: database readable again")
                self._was_up = True
        for job, stamp in sorted(jobs.items()):
            families["jobs"].add_metric([job], stamp)
        if source is None:
            del families["outbox"], families["coverage"], families["breakers"], families["db"]
        return list(families.values())

    @staticmethod
    def _read(
        source: _Source, families: dict[str, GaugeMetricFamily], jobs: dict[str, float]
    ) -> None:
        with source.store.session() as session:
            outbox = dict(
                session.execute(
                    select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
                ).all()
            )
            ledger = session.execute(
                select(JobRunRow.job, func.max(JobRunRow.finished_at))
                .where(JobRunRow.status == "ok")
                .group_by(JobRunRow.job)
            ).all()
        report = coverage_report(
            source.store, source.settings, source.collectors, now=source.clock()
        )
        for status in (*OUTBOX_STATUSES, *sorted(set(outbox) - set(OUTBOX_STATUSES))):
            families["outbox"].add_metric([status], outbox.get(status, 0))
        for job, finished in ledger:
            if finished is not None:
                jobs[job] = max(finished.timestamp(), jobs.get(job, 0.0))
        for status in STATUSES:
            families["coverage"].add_metric([status], report.count(status))
        for c in report.collectors:
            if c.info.enabled:
                families["breakers"].add_metric([c.info.instance], 1 if c.stopped else 0)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- the endpoint -------------------------------------------------------------------------


def parse_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:9308``, ``[::1]:9308`` or ``localhost:9308`` as (address, port); any
    address that is not loopback is refused (ValueError, in Indonesian)."""
    text = listen.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(
            f"alamat {listen!r} harus berbentuk ALAMAT:PORT, mis. 127.0.0.1:9308 atau [::1]:9308"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        host = "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"port {port_text!r} pada {listen!r} bukan angka") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} pada {listen!r} di luar 0-65535")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"alamat {host!r} pada {listen!r} bukan alamat IP; pakai 127.0.0.1 atau ::1"
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"metrik hanya dilayani pada alamat loopback (127.0.0.1 atau ::1), bukan {host}: "
            "untuk membukanya ke jaringan, pasang reverse proxy (mis. nginx dengan TLS dan "
            "autentikasi) di depannya"
        )
    return str(address), port


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the scraper polls every few seconds."""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """The ``/metrics`` endpoint on a loopback address. ``start()`` binds (ConfigError when
    the address is refused or taken) and serves from a thread; ``stop()`` closes it."""

    def __init__(
        self, listen: str, registry: CollectorRegistry, *, source: str | None = None
    ) -> None:
        self.listen = listen
        self.registry = registry
        self._source = source or "<konfigurasi>"
        try:
            self.host, self.port = parse_listen(listen)
        except ValueError as exc:
            raise self._error(str(exc)) from None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _error(self, message: str) -> ConfigError:
        return ConfigError(
            [Problem(self._source, 0, 0, f"metrics.listen: {message}", "metrics-listen")]
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> MetricsServer:
        server_class = _Server6 if ":" in self.host else _Server
        try:
            server = make_server(
                self.host,
                self.port,
                make_wsgi_app(self.registry),
                server_class=server_class,
                handler_class=_QuietHandler,
            )
        except OSError as exc:
            raise self._error(f"tidak dapat memakai {self.listen}: {exc.strerror or exc}") from None
        self._server = server
        self.port = server.server_port  # the port chosen when 0 was asked for
        self._thread = threading.Thread(
            target=server.serve_forever, name="asn-monitor-metrics", daemon=True
        )
        self._thread.start()
        logger.info("metrics served at {}", self.url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_metrics(settings: Settings, metrics: Metrics) -> MetricsServer | None:
    """The endpoint ``metrics.listen`` asks for, started; None when it is off."""
    if settings.metrics.listen is None:
        return None
    return MetricsServer(settings.metrics.listen, metrics.registry, source=settings.source).start()
