"""The alert lifecycle on real alerts (pipeline run, SQLite and PostgreSQL): every
(status, action) pair allowed or refused, what each step writes (alert, history, audit),
inputs refused with the field at fault, two reviewers racing, and the 7-day deadline."""

from __future__ import annotations

import getpass
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monitor.alerts.deadline import days_left, deadline, overdue_cutoff
from monitor.alerts.lifecycle import (
    ACTIONS,
    STATUSES,
    Change,
    Confirm,
    Dismiss,
    Escalate,
    InvalidReview,
    Reopen,
    Request,
    ReviewConflict,
    ReviewError,
    TransitionRefused,
    apply,
    escalation_target,
    is_overdue,
    plan,
    review,
)
from monitor.store import Store
from monitor.store.models import AlertEventRow, AlertRow, AuditRow
from tests.alerts.helpers import T0, raise_alerts

WIB = ZoneInfo("Asia/Jakarta")
LATER = T0 + timedelta(hours=2)

#: one valid request per action
REQUESTS: dict[str, Request] = {
    "confirm": Confirm(note="ajakan jelas"),
    "dismiss": Dismiss(reason="false_positive", label="political_neutral"),
    "escalate": Escalate(to="bkn", ref="001/PP.01/K.JB-01/11/2024"),
    "reopen": Reopen(note="salah tinjau"),
}
#: how to bring a new alert to each status
PATH_TO: dict[str, list[str]] = {
    "new": [],
    "confirmed": ["confirm"],
    "dismissed": ["dismiss"],
    "escalated": ["confirm", "escalate"],
}
ALLOWED = {
    ("new", "confirm"): "confirmed",
    ("new", "dismiss"): "dismissed",
    ("confirmed", "escalate"): "escalated",
    ("confirmed", "reopen"): "new",
    ("dismissed", "reopen"): "new",
}


@pytest.fixture
def alerts(store: Store, tmp_path: Path) -> dict[str, int]:
    return raise_alerts(store, tmp_path)


def bring_to(store: Store, alert_id: int, status: str) -> None:
    for step, action in enumerate(PATH_TO[status]):
        review(store, alert_id, REQUESTS[action], reviewer="siti", now=T0 + timedelta(minutes=step))


def alert(store: Store, alert_id: int) -> AlertRow:
    with store.session() as session:
        row = session.get(AlertRow, alert_id)
        assert row is not None
        return row


def history(store: Store, alert_id: int) -> list[tuple[str, str | None, str | None, str]]:
    with store.session() as session:
        rows = session.scalars(
            select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by("id")
        )
        return [(e.action, e.from_status, e.to_status, e.actor) for e in rows]


def audits(store: Store, alert_id: int) -> list[AuditRow]:
    with store.session() as session:
        query = select(AuditRow).where(
            AuditRow.object_type == "alert", AuditRow.object_id == str(alert_id)
        )
        return list(session.scalars(query.order_by(AuditRow.id)))


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for s in STATUSES for a in ACTIONS],
    ids=[f"{s}-{a}" for s in STATUSES for a in ACTIONS],
)
def test_every_status_and_action(
    store: Store, alerts: dict[str, int], status: str, action: str
) -> None:
    alert_id = alerts["1"]
    bring_to(store, alert_id, status)
    before = history(store, alert_id)
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            review(store, alert_id, REQUESTS[action], reviewer="budi", now=LATER)
        message = str(refused.value)
        assert message.startswith(f"peringatan #{alert_id}: berstatus ")
        assert f"({status})" in message
        assert alert(store, alert_id).status == status
        assert history(store, alert_id) == before
        assert len(audits(store, alert_id)) == len(before)
        return
    change = review(store, alert_id, REQUESTS[action], reviewer="budi", now=LATER)
    assert (change.from_status, change.to_status) == (status, expected)
    row = alert(store, alert_id)
    assert row.status == expected
    assert row.updated_at == LATER
    assert history(store, alert_id) == [*before, (action, status, expected, "budi")]
    entry = audits(store, alert_id)[-1]
    assert (entry.action, entry.actor, entry.at) == (f"alert.{action}", "budi", LATER)
    assert (entry.details["from"], entry.details["to"]) == (status, expected)
    assert entry.details["event_id"] == change.event_id


def test_what_each_step_records(store: Store, alerts: dict[str, int]) -> None:
    alert_id = alerts["1"]  # money_politics, critical
    review(store, alert_id, Confirm(category="support", note="dukungan"), reviewer="siti", now=T0)
    row = alert(store, alert_id)
    assert (row.category, row.review_label, row.reviewer, row.reviewed_at, row.note) == (
        "support",
        "support",
        "siti",
        T0,
        "dukungan",
    )
    assert audits(store, alert_id)[-1].details["previous_category"] == "money_politics"

    review(store, alert_id, Reopen(note="kategori salah"), reviewer="budi", now=T0 + timedelta(1))
    row = alert(store, alert_id)
    assert row.status == "new"
    assert (row.category, row.review_label, row.reviewer, row.reviewed_at) == (
        "money_politics",  # the detector's again
        None,
        None,
        None,
    )
    assert row.note == "kategori salah"
    previous = audits(store, alert_id)[-1].details["previous"]
    assert (previous["reviewer"], previous["category"]) == ("siti", "support")

    review(store, alert_id, Confirm(), reviewer="siti", now=T0 + timedelta(2))
    at = T0 + timedelta(3)
    review(store, alert_id, Escalate(to="Gakkumdu", ref="12/PP"), reviewer="ani", now=at)
    row = alert(store, alert_id)
    assert (row.escalated_to, row.escalation_ref, row.escalated_at) == ("gakkumdu", "12/PP", at)
    assert row.reviewer == "siti"  # who confirmed it; who forwarded it is in the history
    assert [a for a, *_ in history(store, alert_id)] == ["confirm", "reopen", "confirm", "escalate"]

    other = alerts["2"]
    review(store, other, Dismiss("not_asn", label="support", note="akun istri"), now=T0)
    row = alert(store, other)
    assert (row.status, row.dismiss_reason, row.review_label, row.note) == (
        "dismissed",
        "not_asn",
        "support",
        "akun istri",
    )


@pytest.mark.parametrize(
    ("status", "request_", "field", "fragment"),
    [
        ("new", Confirm(category="political_neutral"), "category", "bukan kategori pelanggaran"),
        ("new", Confirm(category="politik"), "category", "bukan kategori pelanggaran"),
        ("new", Dismiss(reason=""), "reason", "alasan wajib diisi"),
        ("new", Dismiss(reason="malas"), "reason", "alasan 'malas' tidak dikenal"),
        ("new", Dismiss(reason="other"), "note", "memerlukan catatan"),
        ("new", Dismiss(reason="other", note="   "), "note", "memerlukan catatan"),
        ("new", Dismiss(reason="false_positive", label="attack"), "label", "bertentangan"),
        ("new", Dismiss(reason="not_asn", label="netral"), "label", "label 'netral'"),
        ("confirmed", Escalate(to="  "), "to", "tujuan penerusan wajib diisi"),
        ("confirmed", Escalate(to="x" * 101), "to", "lebih dari 100"),
        ("confirmed", Escalate(to="bkn", ref="9" * 201), "ref", "lebih dari 200"),
        ("confirmed", Reopen(note=""), "note", "memerlukan catatan"),
        ("dismissed", Reopen(note=" \n"), "note", "memerlukan catatan"),
    ],
    ids=[
        "confirm-neutral-label", "confirm-unknown-category", "dismiss-no-reason",
        "dismiss-unknown-reason", "dismiss-other-no-note", "dismiss-other-blank-note",
        "dismiss-false-positive-violation-label", "dismiss-unknown-label", "escalate-blank",
        "escalate-too-long", "escalate-ref-too-long", "reopen-no-note", "reopen-blank-note",
    ],
)  # fmt: skip
def test_bad_input_names_the_alert_and_the_field(
    store: Store,
    alerts: dict[str, int],
    status: str,
    request_: Request,
    field: str,
    fragment: str,
) -> None:
    alert_id = alerts["2"]
    bring_to(store, alert_id, status)
    before = history(store, alert_id)
    with pytest.raises(InvalidReview) as refused:
        review(store, alert_id, request_, now=LATER)
    assert refused.value.field == field
    assert str(refused.value).startswith(f"peringatan #{alert_id}: ")
    assert fragment in str(refused.value)
    assert alert(store, alert_id).status == status
    assert history(store, alert_id) == before


def test_an_unknown_alert(store: Store, alerts: dict[str, int]) -> None:
    with pytest.raises(ReviewError, match=r"^peringatan #999: tidak ditemukan$"):
        review(store, 999, Confirm())


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("siti", "budi", "siti"),
        (None, "budi", "budi"),
        ("  ", "budi", "budi"),
        (None, None, getpass.getuser()),
    ],
    ids=["option", "env", "blank-option", "os-user"],
)
def test_who_reviews(
    store: Store,
    alerts: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    given: str | None,
    env: str | None,
    expected: str,
) -> None:
    if env is None:
        monkeypatch.delenv("MONITOR_ACTOR", raising=False)
    else:
        monkeypatch.setenv("MONITOR_ACTOR", env)
    change = review(store, alerts["1"], Confirm(), reviewer=given)
    assert change.actor == expected
    assert alert(store, alerts["1"]).reviewer == expected
    entry = audits(store, alerts["1"])[-1]
    assert entry.actor == expected
    # a reviewer named on the command line: the account that ran it is kept beside
    assert entry.details.get("session_actor") == ("budi" if given == "siti" else None)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("BKN", "bkn"),
        ("gakkumdu", "gakkumdu"),
        ("Penanganan  Pelanggaran", "penanganan_pelanggaran"),
        ("penanganan-pelanggaran", "penanganan_pelanggaran"),
        ("Sentra Gakkumdu (pidana pemilihan)", "gakkumdu"),
        ("  Inspektorat Kabupaten Sukamaju ", "Inspektorat Kabupaten Sukamaju"),
    ],
)
def test_escalation_targets(text: str, stored: str) -> None:
    assert escalation_target(text) == stored


def test_the_second_of_two_reviewers_is_refused(store: Store, alerts: dict[str, int]) -> None:
    alert_id = alerts["1"]
    with store.session() as session:  # both read the alert while it is new
        siti = plan(session, alert_id, Confirm(), reviewer="siti", now=T0)
        budi = plan(session, alert_id, Dismiss("duplicate"), reviewer="budi", now=LATER)
    apply(store, budi)
    with pytest.raises(ReviewConflict) as lost:
        apply(store, siti)
    message = str(lost.value)
    assert message.startswith(f"peringatan #{alert_id}: baru saja diubah oleh budi menjadi Ditolak")
    assert "tidak disimpan" in message
    row = alert(store, alert_id)
    assert (row.status, row.reviewer, row.dismiss_reason) == ("dismissed", "budi", "duplicate")
    assert history(store, alert_id) == [("dismiss", "new", "dismissed", "budi")]
    assert [a.action for a in audits(store, alert_id)] == ["alert.dismiss"]


def test_two_reviewers_at_the_same_moment(store: Store, alerts: dict[str, int]) -> None:
    """Two threads plan from 'new', wait for each other, then write: exactly one wins."""
    alert_id = alerts["4"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, Change | ReviewError] = {}

    def reviewer(name: str, request: Request) -> None:
        with store.session() as session:
            change = plan(session, alert_id, request, reviewer=name)
        barrier.wait(timeout=30)
        try:
            outcomes[name] = apply(store, change)
        except ReviewError as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=reviewer, args=("siti", Confirm())),
        threading.Thread(target=reviewer, args=("budi", Dismiss("other", note="bukan ASN"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [name for name, outcome in outcomes.items() if isinstance(outcome, Change)]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, ReviewConflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert f"oleh {winners[0]}" in str(losers[0])
    with store.session() as session:
        events = session.scalar(select(func.count()).where(AlertEventRow.alert_id == alert_id))
    assert events == 1
    assert alert(store, alert_id).reviewer == winners[0]


# --- the 7-day deadline -----------------------------------------------------------------

RAISED = datetime(2024, 11, 20, 10, 0, tzinfo=WIB)
LATE_EVENING = datetime(2024, 11, 20, 23, 30, tzinfo=WIB)  # 16.30 UTC, same UTC day as 00.30


@pytest.mark.parametrize(
    ("raised", "now", "left"),
    [
        (RAISED, RAISED, 7),
        (RAISED, datetime(2024, 11, 26, 23, 59, tzinfo=WIB), 1),
        (RAISED, datetime(2024, 11, 27, 0, 0, tzinfo=WIB), 0),
        (RAISED, datetime(2024, 11, 27, 10, 1, tzinfo=WIB), 0),
        (RAISED, datetime(2024, 11, 27, 23, 59, tzinfo=WIB), 0),
        (RAISED, datetime(2024, 11, 28, 0, 0, tzinfo=WIB), -1),
        (RAISED, datetime(2024, 12, 5, 9, 0, tzinfo=WIB), -8),
        (LATE_EVENING, datetime(2024, 11, 21, 0, 30, tzinfo=WIB), 6),
        (LATE_EVENING.astimezone(UTC), datetime(2024, 11, 20, 17, 30, tzinfo=UTC), 6),
    ],
    ids=[
        "same-moment", "eve-of-deadline", "deadline-day-midnight", "after-the-hour",
        "deadline-day-end", "overdue-next-midnight", "long-overdue", "calendar-days-in-wib",
        "utc-inputs",
    ],
)  # fmt: skip
def test_days_left_counts_calendar_days_in_wib(raised: datetime, now: datetime, left: int) -> None:
    assert days_left(raised, now, WIB) == left
    cutoff = overdue_cutoff(now, WIB)
    assert (raised < cutoff) == (left < 0)


def test_deadline_is_seven_days_after_the_alert(store: Store, alerts: dict[str, int]) -> None:
    row = alert(store, alerts["1"])
    assert row.created_at == T0
    assert deadline(row) == T0 + timedelta(days=7)
    assert deadline(RAISED) == datetime(2024, 11, 27, 10, 0, tzinfo=WIB)
    overdue = datetime(2024, 11, 28, tzinfo=WIB)
    assert is_overdue(row, overdue, WIB)
    assert not is_overdue(row, overdue - timedelta(seconds=1), WIB)
    review(store, alerts["1"], Dismiss("duplicate"))
    assert not is_overdue(alert(store, alerts["1"]), overdue, WIB)  # closed: nothing due


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        days_left(datetime(2024, 11, 20), RAISED, WIB)
