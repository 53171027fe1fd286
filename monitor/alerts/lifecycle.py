"""The life of an alert: a person confirms or dismisses it, forwards a confirmed one, and
may reopen a decision that was wrong. The software flags; a person decides.

    new ──confirm──> confirmed ──escalate──> escalated (final)
     │                   │
     └──dismiss──> dismissed
    confirmed, dismissed ──reopen (note required)──> new

Every other (status, action) pair is refused with a message that names the alert and its
status. A change is planned from what the reviewer saw (``plan``) and written by
``apply`` with ``UPDATE ... WHERE status = <the status seen>``, together with an
``alert_events`` row and an audit-log entry, in one transaction: when two reviewers act on
the same alert, the second gets ``ReviewConflict`` and nothing of theirs is written.

The deadline: a finding must be lodged within 7 days of being known (UU 10/2016 Ps. 134),
counted from the moment the alert was raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.alerts.deadline import days_left
from monitor.errors import MonitorError
from monitor.labels import CATEGORY, STATUS, label
from monitor.model.labels import LABELS, VIOLATIONS
from monitor.store import Store
from monitor.store.alerts import flagged_version
from monitor.store.audit import audit, current_actor
from monitor.store.models import AlertRow, utcnow
from monitor.store.reviews import add_event, latest_event, load_alert, update_if_status

Action = Literal["confirm", "dismiss", "escalate", "reopen"]
ACTIONS: tuple[Action, ...] = ("confirm", "dismiss", "escalate", "reopen")
STATUSES: tuple[str, ...] = ("new", "confirmed", "dismissed", "escalated")
#: Statuses that still need a person: not yet reviewed, or confirmed and not forwarded.
OPEN_STATUSES: tuple[str, ...] = ("new", "confirmed")

#: (current status, action) -> new status; every pair not here is refused.
TRANSITIONS: dict[tuple[str, Action], str] = {
    ("new", "confirm"): "confirmed",
    ("new", "dismiss"): "dismissed",
    ("confirmed", "escalate"): "escalated",
    ("confirmed", "reopen"): "new",
    ("dismissed", "reopen"): "new",
}

#: How each step reads in an alert's history ("export" is not a status change).
ACTION = {
    "confirm": "dikonfirmasi",
    "dismiss": "ditolak",
    "escalate": "diteruskan",
    "reopen": "dibuka kembali",
    "export": "bukti diekspor",
    "release": "dilepas (retensi)",
}
_VERB = {
    "confirm": "dikonfirmasi",
    "dismiss": "ditolak",
    "escalate": "diteruskan",
    "reopen": "dibuka kembali",
}

DISMISS_REASONS = {
    "false_positive": "bukan pelanggaran (positif palsu)",
    "not_asn": "akun bukan milik ASN/terlapor",
    "not_public": "bukan unggahan publik",
    "duplicate": "duplikat",
    "outside_scope": "di luar wewenang/tahapan",
    "other": "lainnya",
}

ESCALATION_TARGETS = {
    "bkn": "BKN (Badan Kepegawaian Negara)",
    "gakkumdu": "Sentra Gakkumdu (pidana pemilihan)",
    "ppk": "PPK (Pejabat Pembina Kepegawaian)",
    "penanganan_pelanggaran": "Divisi Penanganan Pelanggaran Bawaslu",
}


# column sizes (monitor.store.models.AlertRow)
_MAX = {"reviewer": 200, "to": 100, "ref": 200}


class ReviewError(MonitorError):
    """A review step that cannot be taken. ``field`` names the input at fault, if one is."""

    def __init__(self, alert_id: int, message: str, *, field: str | None = None) -> None:
        super().__init__(f"peringatan #{alert_id}: {message}")
        self.alert_id = alert_id
        self.reason = message
        self.field = field


class AlertNotFound(ReviewError):
    def __init__(self, alert_id: int) -> None:
        super().__init__(alert_id, "tidak ditemukan")


class TransitionRefused(ReviewError):
    """The alert's status does not allow the action."""


class ReviewConflict(ReviewError):
    """Another reviewer changed the alert between reading and writing."""


class InvalidReview(ReviewError):
    """A missing or unknown input (reason, label, category, note, ...)."""


@dataclass(frozen=True)
class Confirm:
    action: ClassVar[Action] = "confirm"
    #: one of the four violation categories; default: the alert's own
    category: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Dismiss:
    action: ClassVar[Action] = "dismiss"
    reason: str
    #: the label the reviewer gives the post (training feedback), one of the six
    label: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Escalate:
    action: ClassVar[Action] = "escalate"
    #: a key of ESCALATION_TARGETS (or its name, any case), or free text
    to: str
    #: the letter number
    ref: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    action: ClassVar[Action] = "reopen"
    note: str


Request = Confirm | Dismiss | Escalate | Reopen


@dataclass(frozen=True)
class Change:
    """A planned (then applied) step: what the reviewer saw and what will be written."""

    alert_id: int
    action: Action
    from_status: str
    to_status: str
    actor: str
    at: datetime
    note: str | None
    values: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    #: when the alert was raised (its deadline follows from it)
    raised_at: datetime | None = None
    event_id: int | None = None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _choices(table: dict[str, str]) -> str:
    return "; ".join(f"{key} = {text}" for key, text in table.items())


def escalation_target(text: str) -> str:
    """The key of a known target ("BKN", "penanganan pelanggaran" ...) or the text itself."""
    cleaned = " ".join(text.split())
    key = cleaned.lower().replace(" ", "_").replace("-", "_")
    if key in ESCALATION_TARGETS:
        return key
    for known, name in ESCALATION_TARGETS.items():
        if cleaned.lower() == name.lower():
            return known
    return cleaned


def _refusal(alert: AlertRow, action: Action) -> TransitionRefused:
    status = alert.status
    message = f"berstatus {label(STATUS, status)} ({status}), tidak bisa {_VERB[action]}"
    hint = {
        ("confirmed", "confirm"): f"sudah dikonfirmasi oleh {alert.reviewer or '-'}",
        ("dismissed", "dismiss"): f"sudah ditolak oleh {alert.reviewer or '-'}",
        ("dismissed", "confirm"): f"buka kembali dulu: asn-monitor alerts reopen {alert.id}",
        ("confirmed", "dismiss"): f"buka kembali dulu: asn-monitor alerts reopen {alert.id}",
        ("new", "escalate"): f"konfirmasi dulu: asn-monitor alerts confirm {alert.id}",
        ("dismissed", "escalate"): "hanya peringatan yang dikonfirmasi yang bisa diteruskan",
        ("new", "reopen"): "peringatan ini belum ditinjau",
    }.get((status, action))
    if status == "escalated":
        target = label(ESCALATION_TARGETS, alert.escalated_to)
        hint = f"sudah diteruskan ke {target}; status ini final"
    if hint:
        message += f" ({hint})"
    return TransitionRefused(alert.id, message)


def _reviewer(alert_id: int, reviewer: str | None) -> str:
    name = _clean(reviewer) or current_actor()
    if len(name) > _MAX["reviewer"]:
        raise InvalidReview(
            alert_id, f"nama peninjau lebih dari {_MAX['reviewer']} karakter", field="reviewer"
        )
    return name


def _confirm(alert: AlertRow, request: Confirm) -> tuple[dict[str, Any], dict[str, Any]]:
    category = _clean(request.category) or alert.category
    if category is None:
        raise InvalidReview(
            alert.id, "peringatan tanpa kategori: sebutkan kategori", field="category"
        )
    if category not in VIOLATIONS:
        choices = _choices({c: CATEGORY[c] for c in VIOLATIONS})
        raise InvalidReview(
            alert.id,
            f"kategori {category!r} bukan kategori pelanggaran (pilihan: {choices})",
            field="category",
        )
    details: dict[str, Any] = {"category": category}
    if category != alert.category:
        details["previous_category"] = alert.category
    values = {"category": category, "review_label": category, "dismiss_reason": None}
    return values, details


def _dismiss(alert: AlertRow, request: Dismiss) -> tuple[dict[str, Any], dict[str, Any]]:
    reason = (request.reason or "").strip().lower()
    if not reason:
        raise InvalidReview(
            alert.id, f"alasan wajib diisi (pilihan: {_choices(DISMISS_REASONS)})", field="reason"
        )
    if reason not in DISMISS_REASONS:
        raise InvalidReview(
            alert.id,
            f"alasan {request.reason!r} tidak dikenal (pilihan: {_choices(DISMISS_REASONS)})",
            field="reason",
        )
    if reason == "other" and _clean(request.note) is None:
        raise InvalidReview(alert.id, 'alasan "lainnya" (other) memerlukan catatan', field="note")
    review_label = _clean(request.label)
    if review_label is not None and review_label not in LABELS:
        raise InvalidReview(
            alert.id,
            f"label {review_label!r} tidak dikenal (pilihan: {_choices(CATEGORY)})",
            field="label",
        )
    if reason == "false_positive" and review_label in VIOLATIONS:
        raise InvalidReview(
            alert.id,
            f"alasan positif palsu bertentangan dengan label pelanggaran {review_label!r}: "
            "pilih political_neutral/non_political, atau alasan lain",
            field="label",
        )
    values = {"dismiss_reason": reason, "review_label": review_label}
    return values, {"reason": reason, "label": review_label}


def _escalate(alert: AlertRow, request: Escalate) -> tuple[dict[str, Any], dict[str, Any]]:
    target = escalation_target(request.to or "")
    if not target:
        known = _choices(ESCALATION_TARGETS)
        raise InvalidReview(
            alert.id, f"tujuan penerusan wajib diisi ({known}, atau nama lain)", field="to"
        )
    if len(target) > _MAX["to"]:
        raise InvalidReview(alert.id, f"tujuan lebih dari {_MAX['to']} karakter", field="to")
    ref = _clean(request.ref)
    if ref is not None and len(ref) > _MAX["ref"]:
        raise InvalidReview(alert.id, f"nomor surat lebih dari {_MAX['ref']} karakter", field="ref")
    values = {"escalated_to": target, "escalation_ref": ref}
    return values, {"target": target, "ref": ref, "known_target": target in ESCALATION_TARGETS}


def _reopen(alert: AlertRow, request: Reopen) -> tuple[dict[str, Any], dict[str, Any]]:
    if _clean(request.note) is None:
        raise InvalidReview(
            alert.id, "membuka kembali memerlukan catatan: mengapa keputusan diubah", field="note"
        )
    previous = {
        "reviewer": alert.reviewer,
        "reviewed_at": alert.reviewed_at.isoformat() if alert.reviewed_at else None,
        "category": alert.category,
        "review_label": alert.review_label,
        "dismiss_reason": alert.dismiss_reason,
        "note": alert.note,
    }
    values = {
        "reviewer": None,
        "reviewed_at": None,
        "review_label": None,
        "dismiss_reason": None,
        # the detector's category again; the reviewer's correction stays in the history
        "category": flagged_version(alert).decision.category,
    }
    return values, {"previous": previous}


def plan(
    session: Session,
    alert_id: int,
    request: Request,
    *,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> Change:
    """Check ``request`` against the alert as it is now; nothing is written."""
    alert = load_alert(session, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    action = request.action
    to_status = TRANSITIONS.get((alert.status, action))
    if to_status is None:
        raise _refusal(alert, action)
    actor = _reviewer(alert_id, reviewer)
    at = now or utcnow()
    note = _clean(request.note)
    if isinstance(request, Confirm):
        values, details = _confirm(alert, request)
    elif isinstance(request, Dismiss):
        values, details = _dismiss(alert, request)
    elif isinstance(request, Escalate):
        values, details = _escalate(alert, request)
    else:
        values, details = _reopen(alert, request)
    values["status"] = to_status
    values["updated_at"] = at
    if isinstance(request, Confirm | Dismiss):
        values |= {"reviewer": actor, "reviewed_at": at, "note": note}
    elif isinstance(request, Escalate):
        values["escalated_at"] = at
        if note is not None:
            values["note"] = note
    else:
        values["note"] = note
    return Change(
        alert.id,
        action,
        alert.status,
        to_status,
        actor,
        at,
        note,
        values,
        details,
        alert.created_at,
    )


def apply(store: Store, change: Change) -> Change:
    """Write a planned change if the alert still has the status it was planned from:
    the update, its event and its audit entry in one transaction."""
    with store.session() as session:
        written = update_if_status(session, change.alert_id, change.from_status, change.values)
        if written:
            event = add_event(
                session,
                change.alert_id,
                action=change.action,
                actor=change.actor,
                at=change.at,
                from_status=change.from_status,
                to_status=change.to_status,
                note=change.note,
                details=change.details,
            )
            details = {
                "from": change.from_status,
                "to": change.to_status,
                "note": change.note,
                "event_id": event.id,
                **change.details,
            }
            if (account := current_actor()) != change.actor:  # --reviewer named someone else
                details["session_actor"] = account
            audit(
                session,
                f"alert.{change.action}",
                actor=change.actor,
                object_type="alert",
                object_id=change.alert_id,
                details=details,
                at=change.at,
            )
            return replace(change, event_id=event.id)
    raise _conflict(store, change)


def _conflict(store: Store, change: Change) -> ReviewError:
    with store.session() as session:
        alert = load_alert(session, change.alert_id)
        if alert is None:
            return AlertNotFound(change.alert_id)
        event = latest_event(session, change.alert_id)
        by = f" oleh {event.actor}" if event is not None else ""
        return ReviewConflict(
            change.alert_id,
            f"baru saja diubah{by} menjadi {label(STATUS, alert.status)} ({alert.status}); "
            f"perubahan Anda ({_VERB[change.action]}) tidak disimpan: lihat "
            f"'asn-monitor alerts show {change.alert_id}' lalu ulangi bila perlu",
        )


def review(
    store: Store,
    alert_id: int,
    request: Request,
    *,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> Change:
    """Plan and apply one review step (see the module docstring)."""
    with store.session() as session:
        change = plan(session, alert_id, request, reviewer=reviewer, now=now)
    return apply(store, change)


# --- the 7-day deadline -----------------------------------------------------------------


def is_overdue(alert: AlertRow, now: datetime, tz: ZoneInfo) -> bool:
    """Still open (new or confirmed) and past the deadline's day."""
    return alert.status in OPEN_STATUSES and days_left(alert, now, tz) < 0
