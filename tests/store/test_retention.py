"""monitor.store.retention: which rows are past their time, and deleting them children
first. Real rows written at chosen times; runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.models import (
    AlertEventRow,
    AlertRow,
    AuditRow,
    CollectionRunRow,
    DecisionRow,
    EvidenceFileRow,
    NoticeRow,
    OutboxRow,
    PostObservationRow,
    PostRow,
)
from monitor.store.outbox import enqueue
from monitor.store.people import upsert_account, upsert_person
from monitor.store.retention import (
    Cutoffs,
    claim_alerts,
    claim_posts,
    delete_alerts,
    delete_messages,
    delete_posts,
    delete_runs,
    mark_released,
    next_alerts,
    next_posts,
    orphan_files,
    remove_file,
    survey,
)

#: 10.00 WIB on Saturday 1 March 2025
NOW = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
CUT = Cutoffs(
    posts_before=NOW - timedelta(days=30),
    dismissed_before=NOW - timedelta(days=90),
    runs_before=NOW - timedelta(days=90),
    messages_before=NOW - timedelta(days=30),
)


def ago(days: float | None) -> datetime | None:
    return None if days is None else NOW - timedelta(days=days)


class Rows:
    """Builds posts, decisions and alerts of one watched account at chosen times."""

    def __init__(self, session: Session) -> None:
        self.session = session
        person, _ = upsert_person(
            session, Person(key="P1", name="Budi", employment_type=EmploymentType.PNS)
        )
        self.account, _ = upsert_account(session, Account("x", "@budi", "@budi"), person)

    def post(self, key: str, *, seen: float, decided: bool = True) -> PostRow:
        first_seen = ago(seen)
        assert first_seen is not None
        post = PostRow(
            platform="x", post_id=key, account_id=self.account.id, author="@budi",
            created_at=first_seen, text=f"unggahan {key}", payload="{}",
            payload_sha256="0" * 64, collector="uji", collector_version="uji/1",
            first_seen=first_seen, last_seen=first_seen,
        )  # fmt: skip
        self.session.add(post)
        self.session.flush()
        if decided:
            self.session.add(DecisionRow(post_id=post.id, decided_at=first_seen, flagged=False))
            self.session.flush()
        return post

    def alert(
        self,
        post: PostRow,
        status: str,
        *,
        reviewed: float | None = None,
        released: float | None = None,
        escalated: float | None = None,
    ) -> AlertRow:
        decision = self.session.scalars(
            select(DecisionRow).where(DecisionRow.post_id == post.id)
        ).one()
        decision.flagged = True
        alert = AlertRow(
            post_id=post.id, decision_id=decision.id, status=status, severity="high",
            category="support", created_at=post.first_seen, updated_at=post.first_seen,
            reviewer="siti" if reviewed is not None else None, reviewed_at=ago(reviewed),
            released_at=ago(released), released_by="andi" if released is not None else None,
            escalated_at=ago(escalated),
        )  # fmt: skip
        self.session.add(alert)
        self.session.flush()
        return alert

    def evidence(self, post: PostRow, sha256: str) -> None:
        self.session.add(
            EvidenceFileRow(
                post_id=post.id, kind="screenshot", path=f"{sha256[:2]}/{sha256}.png",
                sha256=sha256, size=10, media_type="image/png", original_name="layar.png",
                added_at=post.first_seen, added_by="siti",
            )
        )  # fmt: skip
        self.session.flush()


@dataclass(frozen=True)
class Fate:
    key: str
    seen: float  # days ago the post was first collected
    decided: bool = True
    status: str | None = None  # the alert's status; None: no alert
    reviewed: float | None = None
    released: float | None = None
    escalated: float | None = None
    purged: bool = False


TABLE = [
    Fate("quiet-31-days", 31, purged=True),
    Fate("quiet-29-days", 29),
    Fate("quiet-exactly-30-days", 30),
    Fate("undecided-60-days", 60, decided=False),
    Fate("new-200-days", 200, status="new"),
    Fate("confirmed-200-days", 200, status="confirmed", reviewed=199),
    Fate("escalated-200-days", 200, status="escalated", reviewed=199),
    Fate("confirmed-released", 10, status="confirmed", reviewed=9, released=1, purged=True),
    Fate("escalated-released-today", 5, status="escalated", reviewed=4, released=0, purged=True),
    Fate("dismissed-91-days", 100, status="dismissed", reviewed=91, purged=True),
    Fate("dismissed-89-days", 100, status="dismissed", reviewed=89),
    Fate("released-then-reopened", 100, status="new", released=5),
    Fate("dismissed-after-release", 100, status="dismissed", reviewed=2, released=5),
    # a release older than the last review or escalation is stale: the case is open again
    Fate("released-then-reconfirmed", 100, status="confirmed", reviewed=2, released=5),
    Fate("released-then-escalated", 100, status="escalated", reviewed=9, released=5, escalated=2),
    Fate("escalated-then-released", 100, status="escalated", reviewed=9, released=5, escalated=6,
         purged=True),
]  # fmt: skip


def build(store: Store, table: list[Fate]) -> None:
    with store.session() as session:
        rows = Rows(session)
        for fate in table:
            post = rows.post(fate.key, seen=fate.seen, decided=fate.decided)
            if fate.status is not None:
                rows.alert(
                    post, fate.status, reviewed=fate.reviewed, released=fate.released,
                    escalated=fate.escalated,
                )  # fmt: skip


def purge_once(store: Store, cut: Cutoffs = CUT, limit: int = 1000) -> None:
    with store.session() as session:
        alerts = claim_alerts(session, next_alerts(session, cut, limit), cut)
        delete_alerts(session, [a.id for a in alerts])
        delete_posts(session, [a.post_id for a in alerts])
        delete_posts(session, claim_posts(session, next_posts(session, cut, limit), cut))


def post_keys(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(PostRow.post_id)))


def test_the_retention_table(store: Store) -> None:
    build(store, TABLE)
    purge_once(store)
    assert post_keys(store) == {f.key for f in TABLE if not f.purged}


def test_the_survey_counts_what_the_table_deletes(store: Store) -> None:
    build(store, TABLE)
    with store.session() as session:
        found = survey(session, CUT)
    assert (found.posts.count, found.posts.oldest, found.posts.newest) == (1, ago(31), ago(31))
    assert (found.dismissed.count, found.dismissed.oldest) == (1, ago(91))
    assert (found.released.count, found.released.oldest, found.released.newest) == (
        3,
        ago(5),
        ago(0),
    )
    assert found.decisions == 5  # every purged post was decided
    assert found.kept_reviewed == 4  # 200 days old (2), released before the last review (2)
    assert found.awaiting_review == 2  # new-200-days, released-then-reopened
    assert found.undecided == 1
    assert found.runs.count == 0


#: (key, the post's later sightings) -> purged: a post whose edited version detection has
#: not decided yet stays (the edit may still raise an alert); deleted or restored
#: sightings are never decided and keep nothing back
EDITS = [
    ("no-sightings", [], True),
    ("edit-decided", [("edited", True)], True),
    ("edit-pending", [("edited", False)], False),
    ("one-of-two-edits-pending", [("edited", True), ("edited", False)], False),
    ("deleted-then-restored", [("deleted", False), ("restored", False)], True),
]


def test_a_post_with_an_edit_not_decided_yet_is_kept(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        for key, sightings, _ in EDITS:
            post = rows.post(key, seen=31)
            for kind, decided in sightings:
                session.add(
                    PostObservationRow(
                        post_id=post.id,
                        kind=kind,
                        collector="uji",
                        decided_at=NOW if decided else None,
                    )
                )
    with store.session() as session:
        found = survey(session, CUT)
    assert found.posts.count == sum(1 for *_, purged in EDITS if purged)
    assert found.undecided == sum(1 for *_, purged in EDITS if not purged)
    purge_once(store)
    assert post_keys(store) == {key for key, _, purged in EDITS if not purged}


def test_a_survey_changes_nothing(store: Store) -> None:
    build(store, TABLE)
    with store.session() as session:
        survey(session, CUT)
    assert post_keys(store) == {f.key for f in TABLE}


def count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def test_children_go_with_their_alert_and_post(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        gone = rows.alert(rows.post("gone", seen=120), "dismissed", reviewed=100)
        kept = rows.alert(rows.post("kept", seen=120), "confirmed", reviewed=100)
        quiet = rows.post("quiet", seen=40)
        for alert in (gone, kept):
            session.add(AlertEventRow(alert_id=alert.id, actor="siti", action="confirm"))
            session.add(NoticeRow(alert_id=alert.id, rule_id="r", created_at=NOW))
            enqueue(session, key=f"notice:{alert.id}", kind="notice", notifier="surel",
                    subject="s", body={}, alert_id=alert.id, now=NOW)  # fmt: skip
        for post_id in (gone.post_id, kept.post_id, quiet.id):
            session.add(  # an edit detection has decided: it keeps nothing back
                PostObservationRow(post_id=post_id, kind="edited", collector="uji", decided_at=NOW)
            )
            session.add(
                EvidenceFileRow(
                    post_id=post_id, kind="screenshot", path=f"p/{post_id}", sha256=f"{post_id}",
                    size=1, media_type="image/png", original_name="a.png", added_by="siti",
                )
            )  # fmt: skip
        enqueue(session, key="digest:1", kind="digest", notifier="surel", subject="s", body={})
    with store.session() as session:
        found = survey(session, CUT)
    assert (found.alert_events, found.notices, found.outbox) == (1, 1, 1)
    assert (found.decisions, found.observations, found.evidence_rows) == (2, 2, 2)

    purge_once(store)

    assert post_keys(store) == {"kept"}
    with store.session() as session:
        for model, column in [
            (AlertEventRow, AlertEventRow.alert_id),
            (NoticeRow, NoticeRow.alert_id),
            (OutboxRow, OutboxRow.alert_id),
        ]:
            assert count(session, model, column.is_not(None)) == 1
            assert count(session, model, column == kept.id) == 1
        for model, column in [
            (PostObservationRow, PostObservationRow.post_id),
            (EvidenceFileRow, EvidenceFileRow.post_id),
            (DecisionRow, DecisionRow.post_id),
        ]:
            assert count(session, model, column == kept.post_id) == count(session, model) == 1
        assert count(session, OutboxRow, OutboxRow.kind == "digest") == 1  # no alert_id: stays
        assert count(session, AlertRow) == 1


def test_the_digest_outbox_is_not_an_alerts_outbox(store: Store) -> None:
    with store.session() as session:
        enqueue(session, key="digest:1", kind="digest", notifier="surel", subject="s", body={})
    purge_once(store)
    with store.session() as session:
        assert count(session, OutboxRow) == 1


SHARED, OWN, KEPT_ONLY = "a" * 64, "b" * 64, "c" * 64


def test_a_file_is_named_only_when_its_last_row_goes(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        quiet, other_quiet = rows.post("quiet", seen=40), rows.post("quiet-2", seen=40)
        confirmed = rows.post("confirmed", seen=40)
        rows.alert(confirmed, "confirmed", reviewed=39)
        rows.evidence(quiet, SHARED)
        rows.evidence(quiet, OWN)
        rows.evidence(other_quiet, OWN)  # both go in the same batch: the file goes
        rows.evidence(confirmed, SHARED)  # kept: the file stays
        rows.evidence(confirmed, KEPT_ONLY)
    with store.session() as session:
        assert survey(session, CUT).files == 1
        done = delete_posts(session, claim_posts(session, next_posts(session, CUT, 10), CUT))
    assert done.files == {OWN: f"bb/{OWN}.png"}
    assert done.evidence_rows == 3


def test_a_purge_in_two_batches_names_the_shared_file_in_the_second(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        first, second = rows.post("first", seen=40), rows.post("second", seen=40)
        rows.evidence(first, OWN)
        rows.evidence(second, OWN)
    named = []
    for _ in range(2):
        with store.session() as session:
            done = delete_posts(session, claim_posts(session, next_posts(session, CUT, 1), CUT))
        named.append(set(done.files))
    assert named == [set(), {OWN}]


def test_an_alert_reopened_after_it_was_listed_is_not_claimed(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        alert = rows.alert(rows.post("p", seen=120), "dismissed", reviewed=100)
    with store.session() as session:
        listed = next_alerts(session, CUT, 10)
    assert listed == [alert.id]
    with store.session() as session:  # a reviewer reopens it meanwhile
        session.execute(update(AlertRow).where(AlertRow.id == alert.id).values(status="new"))
    with store.session() as session:
        assert claim_alerts(session, listed, CUT) == []
        assert next_alerts(session, CUT, 10) == []


def test_a_post_that_gained_an_alert_after_it_was_listed_is_not_claimed(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        post = rows.post("p", seen=40)
    with store.session() as session:
        listed = next_posts(session, CUT, 10)
    with store.session() as session:
        Rows(session).alert(session.get(PostRow, post.id), "new")  # type: ignore[arg-type]
    with store.session() as session:
        assert claim_posts(session, listed, CUT) == []


def test_claims_tell_dismissed_from_released(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        dismissed = rows.alert(rows.post("d", seen=120), "dismissed", reviewed=100)
        released = rows.alert(rows.post("r", seen=20), "escalated", reviewed=19, released=1)
    with store.session() as session:
        claimed = claim_alerts(session, next_alerts(session, CUT, 10), CUT)
    assert [(a.id, a.post_id, a.reason) for a in claimed] == [
        (dismissed.id, dismissed.post_id, "dismissed"),
        (released.id, released.post_id, "released"),
    ]


def test_a_group_named_after_a_purged_alert_is_named_after_the_lowest_survivor(
    store: Store,
) -> None:
    with store.session() as session:
        rows = Rows(session)
        head = rows.alert(rows.post("h", seen=120), "dismissed", reviewed=100)
        two = rows.alert(rows.post("2", seen=120), "confirmed", reviewed=100)
        three = rows.alert(rows.post("3", seen=120), "new")
        lone_head = rows.alert(rows.post("lh", seen=120), "dismissed", reviewed=100)
        lone = rows.alert(rows.post("l", seen=120), "confirmed", reviewed=100)
        for alert in (head, two, three):
            alert.group_id = head.id
        lone_head.group_id = lone.group_id = lone_head.id
    purge_once(store)
    with store.session() as session:
        groups = dict(session.execute(select(AlertRow.id, AlertRow.group_id)).all())
    assert groups == {two.id: two.id, three.id: two.id, lone.id: None}


@pytest.mark.parametrize(
    ("status", "reviewed", "released", "marked"),
    [
        ("confirmed", 19, None, True),
        ("escalated", 19, None, True),
        ("new", None, None, False),
        ("dismissed", 19, None, False),
        ("confirmed", 19, 3, False),  # once only: the first release stays
        ("confirmed", 2, 3, True),  # reopened and confirmed again since: released anew
    ],
)
def test_only_confirmed_or_escalated_alerts_are_released_once(
    store: Store, status: str, reviewed: float | None, released: float | None, marked: bool
) -> None:
    with store.session() as session:
        rows = Rows(session)
        alert = rows.alert(rows.post("p", seen=20), status, reviewed=reviewed, released=released)
    with store.session() as session:
        assert mark_released(session, alert.id, by="andi", at=NOW) is marked
    with store.session() as session:
        row = session.get(AlertRow, alert.id)
        assert row is not None
        assert (row.released_at == NOW) is marked
        assert session.scalar(select(func.count()).select_from(AuditRow)) == 0


def test_collection_runs_go_oldest_first_in_batches(store: Store) -> None:
    with store.session() as session:
        for days in (200, 120, 91, 89, 1):
            session.add(CollectionRunRow(collector="uji", started_at=ago(days), status="ok"))
    with store.session() as session:
        assert survey(session, CUT).runs.count == 3
        assert delete_runs(session, CUT.runs_before, 2) == 2
    with store.session() as session:
        assert delete_runs(session, CUT.runs_before, 2) == 1
        assert delete_runs(session, CUT.runs_before, 2) == 0
        left = sorted(session.scalars(select(CollectionRunRow.started_at)))
    assert left == [ago(89), ago(1)]


# -- files (no database) ---------------------------------------------------------------------

HEX = "ab" + "0" * 62
OLD = datetime(2025, 1, 1, tzinfo=UTC)


def put(root: Path, relative: str, when: datetime = OLD) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.mark.parametrize(
    ("relative", "written", "orphan"),
    [
        (f"ab/{HEX}.png", OLD, True),
        (f"ab/{HEX}", OLD, True),
        ("ab/.tmp-k2j3h4", OLD, True),  # a copy cut off by a crash
        (f"ab/{HEX}.png", NOW, False),  # young: a submission may be committing it
        (f"cd/{HEX}.png", OLD, False),  # not at its content address
        ("ab/catatan.txt", OLD, False),  # not ours
        ("README.txt", OLD, False),
        (f"xy/{HEX}.png", OLD, False),
    ],
)
def test_orphan_files(tmp_path: Path, relative: str, written: datetime, orphan: bool) -> None:
    put(tmp_path, relative, written)
    found = list(orphan_files(tmp_path, set(), older_than=NOW - timedelta(days=1)))
    assert found == ([relative] if orphan else [])


def test_a_file_a_row_refers_to_is_no_orphan(tmp_path: Path) -> None:
    put(tmp_path, f"ab/{HEX}.png")
    assert list(orphan_files(tmp_path, {f"ab/{HEX}.png"}, older_than=NOW)) == []
    assert list(orphan_files(tmp_path / "none", set(), older_than=NOW)) == []


def test_remove_file(tmp_path: Path) -> None:
    put(tmp_path / "evidence", f"ab/{HEX}.png")
    (tmp_path / "evidence" / "ab" / f"{HEX}.png").chmod(0o444)  # as evidence files are
    put(tmp_path, "outside.png")
    assert remove_file(tmp_path / "evidence", f"ab/{HEX}.png") is True
    assert remove_file(tmp_path / "evidence", f"ab/{HEX}.png") is False
    with pytest.raises(ValueError, match="outside"):
        remove_file(tmp_path / "evidence", "../outside.png")
    assert (tmp_path / "outside.png").exists()


# (status of an outbox message, days since it was written, deleted by delete_messages)
MESSAGES = [
    ("sent", 31, True),
    ("failed", 31, True),  # given up: nothing sends or reads it again
    ("sent", 29, False),
    ("pending", 45, False),  # still to deliver (a long outage): never deleted
    ("sending", 45, False),  # claimed: a crash before mark_sent releases it later
]


def test_finished_messages_go_after_their_days(store: Store) -> None:
    with store.session() as session:
        for number, (status, days, _) in enumerate(MESSAGES):
            enqueue(session, key=f"digest:{number}", kind="digest", notifier="surel",
                    subject="Ringkasan", body={"text": "Budi mengajak"}, now=ago(days))  # fmt: skip
            session.execute(
                update(OutboxRow).where(OutboxRow.key == f"digest:{number}").values(status=status)
            )
    with store.session() as session:
        found = survey(session, CUT).messages
        assert (found.count, found.oldest, found.newest) == (2, ago(31), ago(31))
        assert delete_messages(session, CUT, limit=1) == 1  # batches
        assert delete_messages(session, CUT, limit=10) == 1
        assert delete_messages(session, CUT, limit=10) == 0
        left = set(session.scalars(select(OutboxRow.key)))
    assert left == {f"digest:{n}" for n, (_, _, gone) in enumerate(MESSAGES) if not gone}


def test_the_messages_of_expiring_alerts_are_not_counted_twice(store: Store) -> None:
    with store.session() as session:
        rows = Rows(session)
        gone = rows.alert(rows.post("gone", seen=120), "dismissed", reviewed=100)
        enqueue(session, key="notice:1", kind="notice", notifier="surel", subject="s",
                body={}, alert_id=gone.id, now=ago(100))  # fmt: skip
        session.execute(update(OutboxRow).values(status="sent"))
    with store.session() as session:
        found = survey(session, CUT)
    assert (found.outbox, found.messages.count) == (1, 0)
