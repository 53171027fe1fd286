"""The evidence of one alert, as a reviewer (and later a rapat pleno) needs it, and the
zip bundle that carries it out of the system.

``build_view`` reads everything from the database: the post as first collected (text, raw
payload, its SHA-256 computed again and compared), every later observation (edited with
its new text, deleted, restored), which version the alert is about (``flagged``: the text
first collected, or an edited version), the account-to-person link, the decision that
raised the alert (on that version: rules with their words, scores, versions, notes), the
monitors' screenshots (each hashed again on disk), and the alert's history. ``alerts
show`` prints it; ``write_bundle`` writes it as ``alert-<id>-<payload sha256[:12]>.zip``:

    alert.json                 the view as JSON (UTF-8, indent 2)
    payload.txt                the stored payload, byte for byte
    observations/NN-edited.txt the payload of each later sighting that has one (the
                               alert's ``flagged.file`` when an edited version raised it)
    screenshots/<sha256>.<ext> the monitors' screenshots that still match their hash
    manifest.json              every file above with its size and SHA-256, the generation
                               time, the tool version and who generated it
    SHA256SUMS                 the same hashes (and manifest.json's) for ``sha256sum -c``
    README.txt                 manifest.json's SHA-256 and how to verify, in Indonesian

Entries are written in that order (files sorted by name), each stamped with the
generation time, so the same evidence generated at the same moment gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor import __version__
from monitor.alerts.deadline import days_left, deadline
from monitor.alerts.lifecycle import AlertNotFound
from monitor.domain import EmploymentType
from monitor.labels import PLATFORM, label
from monitor.store import Store
from monitor.store.alerts import flagged_version
from monitor.store.audit import audit, current_actor
from monitor.store.evidence import evidence_files
from monitor.store.models import utcnow
from monitor.store.reviews import add_event, alert_events, load_alert, post_observations

BUNDLE_FORMAT = "asn-monitor/evidence-bundle@1"
T = TypeVar("T")
_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class PostView:
    row_id: int
    platform: str
    post_id: str
    author: str
    url: str | None
    created_at: datetime
    text: str
    shared_from: str | None
    media: list[Any]
    payload: str
    #: as recorded when first collected
    payload_sha256: str
    #: computed again from the stored payload now
    payload_sha256_now: str
    collector: str
    collector_version: str
    first_seen: datetime
    last_seen: datetime
    edited_at: datetime | None
    deleted_at: datetime | None

    @property
    def payload_intact(self) -> bool:
        return self.payload_sha256 == self.payload_sha256_now


@dataclass(frozen=True)
class ObservationView:
    id: int
    kind: str
    observed_at: datetime
    collector: str
    text: str | None
    payload: str | None
    payload_sha256: str | None

    @property
    def payload_intact(self) -> bool | None:
        if self.payload is None:
            return None
        return sha256_bytes(self.payload.encode("utf-8")) == self.payload_sha256


@dataclass(frozen=True)
class FlaggedView:
    """The version of the post the alert is about."""

    #: "first" (the text first collected, ``payload.txt``) or "edited"
    version: str
    #: the edited version's ``post_observations.id`` and when it was seen; None: first
    observation_id: int | None
    observed_at: datetime | None
    text: str
    #: of that version's payload, as recorded
    payload_sha256: str


@dataclass(frozen=True)
class PersonView:
    key: str
    name: str
    nip: str | None
    agency: str
    position: str
    employment_type: str
    region: str
    platform: str
    handle: str
    account_url: str | None
    verified: bool
    active: bool

    @property
    def employment_label(self) -> str:
        try:
            return EmploymentType(self.employment_type).label
        except ValueError:
            return self.employment_type


@dataclass(frozen=True)
class DecisionView:
    decided_at: datetime
    category: str | None
    severity: str | None
    #: P(violation), when a classifier ran
    score: float | None
    #: [{rule_id, title, category, severity, score, spans: [[start, end, text], ...]}]
    matches: list[dict[str, Any]]
    scores: dict[str, Any]
    versions: dict[str, Any]
    notes: list[Any]
    stage: str | None
    route: str | None

    @property
    def model_version(self) -> str | None:
        model = self.versions.get("model")
        return None if model is None else str(model)


@dataclass(frozen=True)
class FileView:
    kind: str
    #: under the evidence folder, as recorded
    path: str
    sha256: str
    size: int
    media_type: str
    original_name: str
    added_at: datetime
    added_by: str
    #: ok, missing, altered, unreadable
    state: str
    sha256_now: str | None

    @property
    def bundle_name(self) -> str:
        return f"screenshots/{Path(self.path).name}"


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class EvidenceView:
    alert_id: int
    status: str
    category: str | None
    severity: str | None
    created_at: datetime
    updated_at: datetime
    reviewer: str | None
    note: str | None
    review_label: str | None
    reviewed_at: datetime | None
    dismiss_reason: str | None
    escalated_to: str | None
    escalation_ref: str | None
    escalated_at: datetime | None
    group_id: int | None
    post: PostView
    observations: list[ObservationView]
    flagged: FlaggedView
    person: PersonView | None
    #: the decision on the flagged version (an edit's when the alert is about an edit)
    decision: DecisionView
    files: list[FileView]
    events: list[EventView]

    @property
    def deadline(self) -> datetime:
        return deadline(self.created_at)

    @property
    def flagged_file(self) -> str:
        """The bundle file holding the payload of the version the alert is about."""
        for number, obs in enumerate(self.observations, 1):
            if obs.id == self.flagged.observation_id and obs.payload is not None:
                return observation_file(number, obs.kind)
        return "payload.txt"

    @property
    def problems(self) -> list[str]:
        """What no longer matches its recorded hash, in Indonesian."""
        found = []
        if not self.post.payload_intact:
            found.append(
                f"payload unggahan tidak cocok dengan SHA-256 tercatat "
                f"({self.post.payload_sha256_now} != {self.post.payload_sha256})"
            )
        for number, obs in enumerate(self.observations, 1):
            if obs.payload_intact is False:
                found.append(f"payload pengamatan {number} ({obs.kind}) tidak cocok dengan hashnya")
        for file in self.files:
            if file.state != "ok":
                found.append(f"berkas bukti {file.original_name!r} ({file.path}): {file.state}")
        return found

    def to_json(self, tz: ZoneInfo, *, now: datetime) -> dict[str, Any]:
        """The view as JSON-ready data; times in the election's timezone."""
        data: dict[str, Any] = _jsonable(asdict(self), tz)
        data["timezone"] = tz.key
        data["deadline"] = _jsonable(self.deadline, tz)
        data["days_left"] = days_left(self.created_at, now, tz)
        data["post"]["payload_intact"] = self.post.payload_intact
        for obs, item in zip(self.observations, data["observations"], strict=True):
            item["payload_intact"] = obs.payload_intact
        if self.person is not None:
            data["person"]["employment_label"] = self.person.employment_label
        data["decision"]["model_version"] = self.decision.model_version
        data["flagged"]["file"] = self.flagged_file
        return data


def _jsonable(value: Any, tz: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, tz) for v in value]
    return value


def _file_state(path: Path, recorded: str) -> tuple[str, str | None]:
    if not path.is_file():
        return "missing", None
    try:
        actual = sha256_file(path)
    except OSError:
        return "unreadable", None
    return ("ok" if actual == recorded else "altered"), actual


def _from_row(cls: type[T], row: object, **given: Any) -> T:
    """``cls`` filled from the same-named attributes of ``row``, then from ``given``."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in given}
    return cls(**values, **given)


def observation_file(number: int, kind: str) -> str:
    """The bundle name of the payload of the ``number``-th later observation (from 1)."""
    return f"observations/{number:02d}-{kind}.txt"


def build_view(session: Session, alert_id: int, *, evidence_dir: Path) -> EvidenceView:
    """Everything about one alert, read from the database and checked again on disk."""
    alert = load_alert(session, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    post, account = alert.post, alert.post.account
    person = None
    if account is not None:
        person = _from_row(
            PersonView,
            account.person,
            platform=account.platform,
            handle=account.handle,
            account_url=account.url,
            verified=account.verified,
            active=account.active,
        )
    version = flagged_version(alert)
    flagged = FlaggedView(
        version="edited" if version.edited else "first",
        observation_id=version.observation_id,
        observed_at=version.observed_at,
        text=version.text,
        payload_sha256=version.payload_sha256,
    )
    files = []
    for row in evidence_files(session, post.id):
        state, actual = _file_state(evidence_dir / row.path, row.sha256)
        files.append(_from_row(FileView, row, state=state, sha256_now=actual))
    return _from_row(
        EvidenceView,
        alert,
        alert_id=alert.id,
        post=_from_row(
            PostView,
            post,
            row_id=post.id,
            media=list(post.media or []),
            payload_sha256_now=sha256_bytes(post.payload.encode("utf-8")),
        ),
        observations=[_from_row(ObservationView, o) for o in post_observations(session, post.id)],
        flagged=flagged,
        person=person,
        decision=_from_row(DecisionView, version.decision),
        files=files,
        events=[_from_row(EventView, e) for e in alert_events(session, alert.id)],
    )


# --- the bundle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    path: Path
    #: SHA-256 of the zip file and of its manifest.json
    sha256: str
    manifest_sha256: str
    #: (name, size, sha256) of every file the manifest lists
    files: list[tuple[str, int, str]]
    #: evidence that no longer matches its hash (also in alert.json)
    problems: list[str]


def bundle_name(view: EvidenceView) -> str:
    return f"alert-{view.alert_id}-{view.post.payload_sha256[:12]}.zip"


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _content(view: EvidenceView, evidence_dir: Path, data: dict[str, Any]) -> dict[str, bytes]:
    content = {"alert.json": _json_bytes(data), "payload.txt": view.post.payload.encode("utf-8")}
    for number, obs in enumerate(view.observations, 1):
        if obs.payload is not None:
            content[observation_file(number, obs.kind)] = obs.payload.encode("utf-8")
    for file in view.files:
        if file.state != "ok":
            continue
        data_bytes = (evidence_dir / file.path).read_bytes()
        if sha256_bytes(data_bytes) == file.sha256:  # still the same as when checked
            content[file.bundle_name] = data_bytes
    return dict(sorted(content.items()))


def _readme(
    view: EvidenceView, name: str, manifest_sha256: str, generated: str, actor: str, tz: ZoneInfo
) -> bytes:
    post = view.post
    lines = [
        f"Berkas bukti peringatan #{view.alert_id} (asn-monitor {__version__})",
        f"Unggahan: {label(PLATFORM, post.platform)} {post.post_id} {post.url or ''}".rstrip(),
        f"Dibuat: {generated} oleh {actor}",
        "",
        "Isi:",
        "  alert.json     tampilan bukti lengkap (JSON, UTF-8): unggahan, pengamatan",
        "                 berikutnya, terlapor, keputusan, tangkapan layar, riwayat",
        f"  payload.txt    payload mentah persis seperti disimpan (SHA-256 {post.payload_sha256})",
        "  observations/  payload setiap pengamatan berikutnya (suntingan)",
        "  screenshots/   tangkapan layar pemantau (nama berkas = SHA-256 isinya)",
        "  manifest.json  daftar setiap berkas di atas dengan ukuran dan SHA-256",
        "  SHA256SUMS     hash yang sama, ditambah hash manifest.json, untuk sha256sum -c",
        "",
        *_flagged_lines(view, tz),
        f"SHA-256 manifest.json: {manifest_sha256}",
        "",
        "Cara memeriksa keutuhan (Linux/macOS; di Windows: certutil -hashfile BERKAS SHA256):",
        f"  1. unzip {name} -d bukti && cd bukti",
        "  2. sha256sum manifest.json",
        "     hasilnya harus sama dengan SHA-256 manifest.json di atas dan dengan yang",
        "     tercatat di log audit asn-monitor (aksi alert.export).",
        "  3. sha256sum -c SHA256SUMS",
        "     setiap berkas harus OK.",
        "  4. SHA-256 payload.txt harus sama dengan post.payload_sha256 di alert.json:",
        "     hash yang dicatat saat unggahan pertama kali diambil.",
    ]
    if view.flagged.version == "edited":
        lines += [
            f"  5. SHA-256 {view.flagged_file} harus sama dengan flagged.payload_sha256 di",
            "     alert.json: hash versi suntingan yang ditandai, dicatat saat terlihat.",
        ]
    if view.problems:
        lines += ["", "PERINGATAN: bukti berikut tidak lagi cocok dengan hash tercatatnya:"]
        lines += [f"  - {problem}" for problem in view.problems]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _flagged_lines(view: EvidenceView, tz: ZoneInfo) -> list[str]:
    """In Indonesian: which version of the post the alert is about."""
    if view.flagged.version != "edited":
        return ["Peringatan ini tentang teks unggahan yang pertama diambil (payload.txt).", ""]
    seen = _jsonable(view.flagged.observed_at, tz)
    return [
        "Peringatan ini tentang VERSI SUNTINGAN unggahan, bukan teks pertamanya:",
        f"  {view.flagged_file} (pengamatan #{view.flagged.observation_id}, terlihat {seen}),",
        f"  SHA-256 {view.flagged.payload_sha256}. payload.txt adalah teks pertama.",
        "",
    ]


def _entry(name: str, stamp: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the host
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def bundle_bytes(
    view: EvidenceView,
    *,
    evidence_dir: Path,
    generated_at: datetime,
    actor: str,
    tz: ZoneInfo,
) -> tuple[bytes, str, list[tuple[str, int, str]]]:
    """The zip file as bytes, its manifest's SHA-256 and the files the manifest lists.
    The same view, time and actor give the same bytes."""
    content = _content(view, evidence_dir, view.to_json(tz, now=generated_at))
    files = [(name, len(data), sha256_bytes(data)) for name, data in content.items()]
    local = generated_at.astimezone(tz)
    manifest = {
        "format": BUNDLE_FORMAT,
        "alert_id": view.alert_id,
        "post": {
            "platform": view.post.platform,
            "post_id": view.post.post_id,
            "payload_sha256": view.post.payload_sha256,
        },
        "flagged": {
            "version": view.flagged.version,
            "observation_id": view.flagged.observation_id,
            "payload_sha256": view.flagged.payload_sha256,
            "file": view.flagged_file,
        },
        "generated_at": local.isoformat(),
        "generated_by": actor,
        "tool": {"name": "asn-monitor", "version": __version__},
        "files": [{"name": n, "size": size, "sha256": digest} for n, size, digest in files],
    }
    content["manifest.json"] = _json_bytes(manifest)
    manifest_sha256 = sha256_bytes(content["manifest.json"])
    sums = [f"{digest}  {name}" for name, _, digest in files]
    content["SHA256SUMS"] = (
        "\n".join([*sums, f"{manifest_sha256}  manifest.json"]) + "\n"
    ).encode()
    generated = local.strftime("%Y-%m-%d %H.%M.%S %Z")
    readme = _readme(view, bundle_name(view), manifest_sha256, generated, actor, tz)
    content["README.txt"] = readme
    stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in content.items():
            archive.writestr(_entry(name, stamp), data)
    return buffer.getvalue(), manifest_sha256, files


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(0o644)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def export_bundle(
    store: Store,
    alert_id: int,
    out_dir: Path,
    *,
    evidence_dir: Path,
    tz: ZoneInfo,
    actor: str | None = None,
    now: datetime | None = None,
) -> Bundle:
    """Write the bundle of one alert into ``out_dir`` and record the export in the alert's
    history and the audit log (with the zip's and the manifest's SHA-256)."""
    actor = actor or current_actor()
    now = now or utcnow()
    with store.session() as session:
        view = build_view(session, alert_id, evidence_dir=evidence_dir)
    data, manifest_sha256, files = bundle_bytes(
        view, evidence_dir=evidence_dir, generated_at=now, actor=actor, tz=tz
    )
    path = out_dir / bundle_name(view)
    _write_atomically(path, data)
    bundle = Bundle(path, sha256_bytes(data), manifest_sha256, files, view.problems)
    details = {
        "path": str(path),
        "sha256": bundle.sha256,
        "manifest_sha256": manifest_sha256,
        "files": len(files),
        "problems": bundle.problems,
    }
    with store.session() as session:
        add_event(session, alert_id, action="export", actor=actor, at=now, details=details)
        audit(
            session,
            "alert.export",
            actor=actor,
            object_type="alert",
            object_id=alert_id,
            details=details,
            at=now,
        )
    return bundle
