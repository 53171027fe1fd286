"""``asn-monitor run``: the service.

An APScheduler 3 background scheduler runs the jobs built from the configuration in a
thread pool of ``daemon.threads``: collection of accounts whose poll is due, detection of
pending posts, delivery of the outbox, the daily digest at ``digest.time`` and the daily
purge at ``retention.time``. Every job coalesces (a job that fell behind runs once, not
once per missed tick) and never overlaps itself.

- The daily jobs keep a ledger (``job_runs``): at start, a run missed while the service
  was down is made up, and a run already done is never done again. The digest's own window
  bookkeeping (``digests``) makes it exact in any case.
- SIGTERM (and SIGINT) stops the scheduler: running jobs finish the batch they are in,
  commit, and stop before the next one; the process exits within ``shutdown_timeout``.
- SIGHUP reloads the rules, the candidate registries and the watchlist file. A broken file
  keeps the last good set running, and the log says why.
- systemd: READY when the jobs are scheduled, STATUS after each job, WATCHDOG pings while
  the scheduler is alive, STOPPING on the way out (``monitor.service.systemd``).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from loguru import logger
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.schedule import last_send_time
from monitor.collect.base import Collector
from monitor.detect.decider import Decider
from monitor.errors import InputError, MonitorError
from monitor.service import systemd
from monitor.service.collecting import collect_all
from monitor.service.components import decider_from, load_detection
from monitor.service.digests import send_due_digest
from monitor.service.metrics import Metrics, severity_counts, start_metrics
from monitor.service.notifying import alert_hook, deliver
from monitor.service.pipeline import detect_pending
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.models import AlertRow, JobRunRow, utcnow
from monitor.store.retry import run_with_retry
from monitor.store.runs import mark_interrupted

Clock = Callable[[], datetime]


class Daemon:
    """The long-running service. ``run()`` blocks until SIGTERM."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        collectors: dict[str, Collector],
        notifiers: dict[str, Notifier],
        decider: Decider,
        *,
        purge: Callable[..., dict[str, Any]] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.settings = settings
        self.collectors = collectors
        self.notifiers = notifiers
        self.decider = decider
        self.purge = purge
        self.clock = clock
        self.stop = threading.Event()
        self.metrics = Metrics()
        self.metrics.watch_database(store, settings, collectors)
        self._reload = threading.Event()
        self._lock = threading.Lock()  # the decider is swapped on reload
        daemon = settings.daemon
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(daemon.threads)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(daemon.misfire_grace),
            },
            timezone=settings.tz,
        )

    # -- jobs -------------------------------------------------------------------------------

    def collect(self) -> None:
        reports = collect_all(
            self.store,
            self.collectors,
            batch_size=self.settings.pipeline.batch_size,
            due_only=True,
            stop=self.stop,
        )
        self.metrics.record_collection(reports)
        polled = sum(r.accounts for r in reports)
        new = sum(r.stored.new for r in reports)
        if polled:
            logger.info("collected: {} accounts polled, {} new posts", polled, new)
        systemd.status(f"pengumpulan: {polled} akun diperiksa, {new} unggahan baru")

    def detect(self) -> None:
        with self._lock:
            decider = self.decider
        hook = alert_hook(self.settings, self.notifiers)
        raised: dict[str, int] = {}

        def on_alerts(session: Session, alerts: list[AlertRow], now: datetime) -> None:
            hook(session, alerts, now)
            for severity, n in severity_counts(alerts).items():
                raised[severity] = raised.get(severity, 0) + n

        report = detect_pending(
            self.store,
            decider,
            batch_size=self.settings.pipeline.batch_size,
            on_alerts=on_alerts,
            stop=self.stop,
        )
        self.metrics.record_detection(raised, decided=report.decided + report.edits_decided)
        if report.decided:
            logger.info("detected: {} posts decided, {} alerts", report.decided, report.flagged)
        if report.edits_decided:
            logger.info(
                "detected: {} edited versions decided, {} alerts",
                report.edits_decided,
                report.edits_flagged,
            )
        if report.decided or report.edits_decided:
            status = f"deteksi: {report.decided} diputuskan, {report.flagged} peringatan"
            if report.edits_decided:
                status += (
                    f"; suntingan: {report.edits_decided} diputuskan, "
                    f"{report.edits_flagged} peringatan"
                )
            systemd.status(status)

    def deliver(self) -> None:
        report = deliver(self.store, self.notifiers, self.settings)
        if report.sent or report.errors:
            logger.info(
                "delivered {} messages ({} to retry, {} failed)",
                report.sent,
                report.retrying,
                report.failed,
            )

    def digest(self) -> None:
        now = self.clock()
        scheduled = last_send_time(now, self.settings.digest.time, self.settings.tz)

        def work() -> dict[str, Any]:
            outcome = send_due_digest(
                self.store, self.settings, self.notifiers, self.collectors, now=now
            )
            if outcome is None:
                return {"sent": False}
            return {"sent": True, "alerts": outcome.digest.total, "digest_id": outcome.digest_id}

        self._ledger("digest", scheduled, work)
        self.deliver()

    def retention(self) -> None:
        if self.purge is None:
            return
        now = self.clock()
        scheduled = last_send_time(now, self.settings.retention.time, self.settings.tz)
        purge = self.purge
        self._ledger(
            "retention",
            scheduled,
            lambda: purge(self.store, self.settings, now, stop=self.stop.is_set),
        )

    def _ledger(self, job: str, scheduled: datetime, work: Callable[[], dict[str, Any]]) -> None:
        """Run ``work`` once for the run scheduled at ``scheduled``; a run already done (or
        being done by another process) is skipped."""
        now = self.clock()
        with self.store.session() as session:
            done = session.scalar(
                select(JobRunRow).where(JobRunRow.job == job, JobRunRow.scheduled_for == scheduled)
            )
            if done is not None and done.status == "ok":
                return
            if done is None:
                done = JobRunRow(job=job, scheduled_for=scheduled, started_at=now, details={})
                session.add(done)
            done.status, done.started_at, done.error = "running", now, None
            session.flush()
            run_id = done.id
        try:
            details = work()
        except Exception as exc:
            with self.store.session() as session:
                row = session.get(JobRunRow, run_id)
                if row is not None:
                    row.status, row.error, row.finished_at = "error", str(exc), self.clock()
            raise
        with self.store.session() as session:
            row = session.get(JobRunRow, run_id)
            if row is not None:
                row.status, row.details, row.finished_at = "ok", details, self.clock()
        logger.info("{} run for {} done: {}", job, scheduled.isoformat(), details)

    def _guarded(self, name: str, job: Callable[[], None]) -> Callable[[], None]:
        """A job that logs its failure instead of stopping the scheduler."""

        def run() -> None:
            if self.stop.is_set():
                return
            ok = False
            try:
                # a lost database connection waits with backoff instead of failing the job
                run_with_retry(job, what=name, stop=self.stop)
                ok = True
            except MonitorError as exc:
                logger.error("job {} failed: {}", name, exc)
                systemd.status(f"{name} gagal: {exc}")
            except Exception:
                logger.exception("job {} crashed", name)
                systemd.status(f"{name} gagal (lihat log)")
            self.metrics.record_job(name, ok, self.clock())

        return run

    # -- reload -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Rules, registries and the watchlist again; a broken file keeps the last good set."""
        systemd.reloading()
        try:
            ruleset, registry = load_detection(self.settings)
            decider = decider_from(self.settings, ruleset, registry)
        except InputError as exc:
            for problem in exc.problems:
                logger.error("reload: {}", problem)
            logger.error("reload refused: keeping the rules and registries loaded before")
            status = f"muat ulang DITOLAK ({len(exc.problems)} masalah); aturan lama tetap berjalan"
        else:
            with self._lock:
                self.decider = decider
            logger.info("reloaded {} rules", len(ruleset.rules))
            status = f"dimuat ulang: {len(ruleset.rules)} aturan"
        self.import_watchlist()
        systemd.ready(status)

    def import_watchlist(self) -> None:
        from monitor.watchlist.sync import import_watchlist

        path = self.settings.watchlist.path
        if path is None:
            return
        resolved = self.settings.resolve(path)
        try:
            report = import_watchlist(self.store, resolved)
        except (MonitorError, OSError) as exc:
            logger.error(
                "watchlist {} not imported, the accounts stay as they were: {}", resolved, exc
            )
            return
        for problem in report.problems:
            logger.warning("watchlist: {}", problem)
        logger.info("watchlist {} imported", resolved)

    # -- life cycle -------------------------------------------------------------------------

    def schedule(self) -> None:
        d = self.settings.daemon
        add = self.scheduler.add_job
        add(self._guarded("collect", self.collect), "interval", seconds=d.collect_every,
            id="collect", next_run_time=self.clock())  # fmt: skip
        add(self._guarded("detect", self.detect), "interval", seconds=d.detect_every,
            id="detect", next_run_time=self.clock() + timedelta(seconds=1))  # fmt: skip
        add(self._guarded("deliver", self.deliver), "interval", seconds=d.deliver_every,
            id="deliver", next_run_time=self.clock() + timedelta(seconds=2))  # fmt: skip
        hour, minute = self.settings.digest.time.split(":")
        add(self._guarded("digest", self.digest),
            CronTrigger(hour=int(hour), minute=int(minute), timezone=self.settings.tz),
            id="digest")  # fmt: skip
        hour, minute = self.settings.retention.time.split(":")
        add(self._guarded("retention", self.retention),
            CronTrigger(hour=int(hour), minute=int(minute), timezone=self.settings.tz),
            id="retention")  # fmt: skip
        # made up at start: a digest or purge missed while the service was down
        add(self._guarded("digest", self.digest), id="digest-catch-up",
            next_run_time=self.clock() + timedelta(seconds=3))  # fmt: skip
        add(self._guarded("retention", self.retention), id="retention-catch-up",
            next_run_time=self.clock() + timedelta(seconds=4))  # fmt: skip
        interval = systemd.watchdog_interval()
        if interval is not None:
            add(systemd.watchdog, "interval", seconds=max(1.0, interval / 2), id="watchdog")

    def install_signals(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            logger.info("signal {}: stopping after the current batch", signal.Signals(signum).name)
            self.stop.set()

        def reload(_signum: int, _frame: FrameType | None) -> None:
            self._reload.set()
            self.stop_wait.set()

        self.stop_wait = threading.Event()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def run(self) -> None:
        # one line per job run would flood the journal; failures are logged by _guarded
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        with self.store.session() as session:
            interrupted = mark_interrupted(session, now=self.clock())
        if interrupted:
            logger.warning(
                "{} polls were cut off by the last stop; resuming from cursors", interrupted
            )
        self.import_watchlist()
        self.install_signals()
        server = start_metrics(self.settings, self.metrics)
        self.schedule()
        self.scheduler.start()
        systemd.ready("asn-monitor berjalan")
        logger.info("asn-monitor service started ({} collectors, {} notifiers)",
                    len(self.collectors), len(self.notifiers))  # fmt: skip
        while not self.stop.is_set():
            self.stop_wait.wait(1.0)
            self.stop_wait.clear()
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
        systemd.stopping()
        logger.info("stopping: waiting for running jobs to finish their batch")
        finished = threading.Event()

        def shutdown() -> None:
            self.scheduler.shutdown(wait=True)
            finished.set()

        threading.Thread(target=shutdown, daemon=True).start()
        if not finished.wait(self.settings.daemon.shutdown_timeout):
            logger.error("jobs still running after {} s; exiting (committed work is safe)",
                         self.settings.daemon.shutdown_timeout)  # fmt: skip
        for collector in self.collectors.values():
            collector.close()
        if server is not None:
            server.stop()
        logger.info("asn-monitor service stopped")
