"""monitor.service.metrics: the Prometheus endpoint, scraped over HTTP with httpx and read
with prometheus_client's own parser, on SQLite and PostgreSQL. The counters are fed by a
real pipeline pass; the gauges are read from the database at scrape time."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor import __version__
from monitor.errors import ConfigError
from monitor.service.components import build_collectors, build_decider
from monitor.service.metrics import Metrics, MetricsServer, parse_listen, severity_counts
from monitor.service.pipeline import run_once
from monitor.settings import Settings, load_settings
from monitor.store import Store
from monitor.store.models import AlertRow, CollectorStateRow, JobRunRow, OutboxRow
from monitor.store.outbox import enqueue
from monitor.watchlist.sync import import_watchlist
from tests.service.helpers import make_project, many_posts

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

#: the day the project's posts were collected by a clock that says so
NOW = datetime(2024, 10, 30, 12, 0, tzinfo=UTC)


def scrape(server: MetricsServer) -> Samples:
    response = httpx.get(server.url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def served() -> Iterator[tuple[Metrics, MetricsServer]]:
    metrics = Metrics(CollectorRegistry())
    with MetricsServer("127.0.0.1:0", metrics.registry) as server:
        yield metrics, server


# -- counters fed by the daemon ----------------------------------------------------------


def test_a_pipeline_pass_shows_in_the_counters(
    tmp_path: Path, store: Store, served: tuple[Metrics, MetricsServer]
) -> None:
    metrics, server = served
    config = make_project(tmp_path, posts=many_posts(60))
    import_watchlist(store, tmp_path / "watchlist.csv")
    settings, doc = load_settings(config)
    raised: list[AlertRow] = []
    report = run_once(
        store,
        build_collectors(settings, doc),
        build_decider(settings),
        batch_size=settings.pipeline.batch_size,
        on_alerts=lambda _session, alerts, _now: raised.extend(alerts),
    )
    metrics.record_collection(report.collected)
    metrics.record_detection(severity_counts(raised), decided=report.detected.decided)
    metrics.record_job("collect", True, datetime(2024, 10, 30, 5, 0, tzinfo=UTC))
    metrics.record_job("collect", False, datetime(2024, 10, 30, 5, 1, tzinfo=UTC))
    metrics.record_job("detect", True, datetime(2024, 10, 30, 5, 2, tzinfo=UTC))

    samples = scrape(server)
    expected = [
        ("asn_monitor_posts_collected_total", {"collector": "feed"}, 60),
        ("asn_monitor_polls_total", {"collector": "feed", "status": "ok"}, 5),
        ("asn_monitor_polls_total", {"collector": "feed", "status": "failed"}, 0),
        ("asn_monitor_alerts_raised_total", {"severity": "critical"}, 9),  # every 7th post
        ("asn_monitor_alerts_raised_total", {"severity": "high"}, 5),  # 11th, not 7th
        ("asn_monitor_alerts_raised_total", {"severity": "medium"}, 0),
        ("asn_monitor_alerts_raised_total", {"severity": "low"}, 0),
        ("asn_monitor_posts_decided_total", {}, 60),
        ("asn_monitor_job_runs_total", {"job": "collect", "status": "ok"}, 1),
        ("asn_monitor_job_runs_total", {"job": "collect", "status": "failed"}, 1),
        (
            "asn_monitor_job_last_success_timestamp_seconds",
            {"job": "collect"},
            datetime(2024, 10, 30, 5, 0, tzinfo=UTC).timestamp(),
        ),
        (
            "asn_monitor_job_last_success_timestamp_seconds",
            {"job": "detect"},
            datetime(2024, 10, 30, 5, 2, tzinfo=UTC).timestamp(),
        ),
        ("asn_monitor_build_info", {"version": __version__}, 1),
    ]
    for name, labels, want in expected:
        assert value(samples, name, **labels) == want, (name, labels)
    # gauges read from a database appear once the daemon names it
    assert not any(name == "asn_monitor_outbox_messages" for name, _ in samples)


def test_two_registries_do_not_share_counts() -> None:
    first, second = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())
    first.record_detection({"critical": 2})
    with (
        MetricsServer("127.0.0.1:0", first.registry) as a,
        MetricsServer("127.0.0.1:0", second.registry) as b,
    ):
        assert a.port != b.port
        assert value(scrape(a), "asn_monitor_alerts_raised_total", severity="critical") == 2
        assert value(scrape(b), "asn_monitor_alerts_raised_total", severity="critical") == 0


# -- gauges read from the database at scrape time -----------------------------------------


def _outbox(session: Session) -> None:
    for n in range(4):
        enqueue(
            session,
            key=f"msg-{n}",
            kind="notice",
            notifier="file",
            subject=f"pesan {n}",
            body={},
            now=NOW,
        )
    session.flush()
    session.execute(update(OutboxRow).where(OutboxRow.key == "msg-0").values(status="sent"))
    session.execute(update(OutboxRow).where(OutboxRow.key == "msg-1").values(status="failed"))


def test_gauges_follow_the_database(
    tmp_path: Path, store: Store, served: tuple[Metrics, MetricsServer]
) -> None:
    metrics, server = served
    config = make_project(tmp_path, posts=many_posts(60))
    import_watchlist(store, tmp_path / "watchlist.csv")
    settings, doc = load_settings(config)
    collectors = build_collectors(settings, doc)
    run_once(store, collectors, build_decider(settings), batch_size=100)
    with store.session() as session:
        _outbox(session)
        session.add(
            JobRunRow(
                job="digest",
                scheduled_for=datetime(2024, 10, 30, 0, 0, tzinfo=UTC),
                started_at=datetime(2024, 10, 30, 0, 0, tzinfo=UTC),
                finished_at=datetime(2024, 10, 30, 0, 0, 7, tzinfo=UTC),
                status="ok",
                details={},
            )
        )
    metrics.watch_database(store, settings, collectors, clock=lambda: NOW)

    before = scrape(server)
    expected = [
        ("asn_monitor_outbox_messages", {"status": "pending"}, 2),
        ("asn_monitor_outbox_messages", {"status": "sending"}, 0),
        ("asn_monitor_outbox_messages", {"status": "sent"}, 1),
        ("asn_monitor_outbox_messages", {"status": "failed"}, 1),
        ("asn_monitor_accounts_by_coverage", {"status": "ok"}, 5),
        ("asn_monitor_accounts_by_coverage", {"status": "silent"}, 0),
        ("asn_monitor_accounts_by_coverage", {"status": "never"}, 0),
        ("asn_monitor_accounts_by_coverage", {"status": "failing"}, 0),
        ("asn_monitor_accounts_by_coverage", {"status": "unreachable"}, 0),
        ("asn_monitor_accounts_by_coverage", {"status": "uncovered"}, 0),
        ("asn_monitor_collector_breaker_open", {"collector": "feed"}, 0),
        (
            "asn_monitor_job_last_success_timestamp_seconds",
            {"job": "digest"},
            datetime(2024, 10, 30, 0, 0, 7, tzinfo=UTC).timestamp(),
        ),
        ("asn_monitor_database_up", {}, 1),
    ]
    for name, labels, want in expected:
        assert value(before, name, **labels) == want, (name, labels)

    # no restart, no call from the daemon: the next scrape reads the change
    with store.session() as session:
        session.execute(
            update(CollectorStateRow)
            .where(CollectorStateRow.collector == "feed")
            .values(state="open", reason="uji")
        )
        session.execute(update(OutboxRow).values(status="sent"))
    after = scrape(server)
    assert value(after, "asn_monitor_collector_breaker_open", collector="feed") == 1
    assert value(after, "asn_monitor_outbox_messages", status="sent") == 4
    assert value(after, "asn_monitor_outbox_messages", status="pending") == 0


def test_an_unreadable_database_keeps_the_endpoint_up(
    tmp_path: Path, served: tuple[Metrics, MetricsServer]
) -> None:
    metrics, server = served
    unmigrated = Store(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every read fails
    metrics.record_job("deliver", True, NOW)
    metrics.watch_database(unmigrated, Settings(base_dir=tmp_path), {})
    samples = scrape(server)
    assert value(samples, "asn_monitor_database_up") == 0
    assert value(samples, "asn_monitor_job_last_success_timestamp_seconds", job="deliver") == (
        NOW.timestamp()
    )
    assert not any(name == "asn_monitor_outbox_messages" for name, _ in samples)
    unmigrated.dispose()


# -- the address -------------------------------------------------------------------------

LISTEN = [
    ("127.0.0.1:9308", ("127.0.0.1", 9308)),
    ("127.0.0.2:9308", ("127.0.0.2", 9308)),
    ("localhost:9308", ("127.0.0.1", 9308)),
    ("[::1]:9308", ("::1", 9308)),
    (" 127.0.0.1:0 ", ("127.0.0.1", 0)),
]


@pytest.mark.parametrize(("listen", "expected"), LISTEN)
def test_loopback_addresses_are_accepted(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


REFUSED = [
    ("0.0.0.0:9308", "reverse proxy"),
    ("[::]:9308", "reverse proxy"),
    ("192.168.1.10:9308", "hanya dilayani pada alamat loopback"),
    ("metrics.bawaslu.example:9308", "bukan alamat IP"),
    ("9308", "ALAMAT:PORT"),
    (":9308", "ALAMAT:PORT"),
    ("127.0.0.1:http", "bukan angka"),
    ("127.0.0.1:70000", "di luar 0-65535"),
]


@pytest.mark.parametrize(("listen", "message"), REFUSED)
def test_other_addresses_are_refused_with_the_reason(listen: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MetricsServer(listen, CollectorRegistry(), source="monitor.yaml")
    problem = caught.value.problems[0]
    assert problem.path == "monitor.yaml"
    assert problem.code == "metrics-listen"
    assert problem.message.startswith("metrics.listen: ")
    assert message in problem.message


def test_a_taken_port_is_a_config_error() -> None:
    with MetricsServer("127.0.0.1:0", CollectorRegistry()) as first:
        second = MetricsServer(f"127.0.0.1:{first.port}", CollectorRegistry())
        with pytest.raises(ConfigError, match="tidak dapat memakai"):
            second.start()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_loopback_is_served() -> None:
    metrics = Metrics(CollectorRegistry())
    with MetricsServer("[::1]:0", metrics.registry) as server:
        assert server.url.startswith("http://[::1]:")
        assert value(scrape(server), "asn_monitor_build_info", version=__version__) == 1


def test_stop_closes_the_endpoint() -> None:
    server = MetricsServer("127.0.0.1:0", CollectorRegistry()).start()
    url = server.url
    assert httpx.get(url, timeout=10).status_code == 200
    server.stop()
    server.stop()  # a second stop does nothing
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=10)
