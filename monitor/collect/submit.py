"""Manual submissions: a post a monitor saw (on Facebook, Instagram, TikTok, or anywhere)
entered with ``asn-monitor submit URL --account ...`` and its screenshots as evidence.

The post is stored like a collected one (collector ``manual``), so the next ``run`` decides
on it. Its payload is a JSON document naming the URL, the text, who submitted it and the
SHA-256 of every screenshot, so the evidence hash covers the screenshots too. Submitting
the same URL again never makes a second post: new screenshots are added, a changed text
is an edit observation. Only watched accounts can be named (UU 27/2022).

This module also turns post URLs into post ids (``url_post_id``), for the CSV importer too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from monitor.domain import Account, Post, handle_key, parse_platform
from monitor.errors import InputError, Problem
from monitor.store import Store
from monitor.store.audit import audit, current_actor
from monitor.store.evidence import EvidenceFile, evidence_files, inspect_file, store_evidence_file
from monitor.store.models import AccountRow, DecisionRow, PostRow, utcnow
from monitor.store.people import to_account
from monitor.store.posts import store_posts

COLLECTOR = "manual"
COLLECTOR_VERSION = "manual/1"

#: Hosts (and their subdomains: m., www., vm., web.) whose platform is known.
HOSTS = {
    "facebook.com": "facebook",
    "fb.watch": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "tiktok.com": "tiktok",
    "x.com": "x",
    "twitter.com": "x",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "threads.net": "threads",
    "threads.com": "threads",
}

#: Query parameters that only track who shared or clicked; dropped before hashing a URL.
TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_eid", "igshid", "igsh", "si", "mibextid"}
    | {"_rdr", "_rdc", "ref_src", "ref_url", "sfnsn", "is_from_webapp", "sender_device"}
)
TRACKING_PREFIXES = ("utm_", "__cft__", "__tn__")

_FB_ID = re.compile(r"^(\d+|pfbid[0-9A-Za-z]+)$")
_DIGITS = re.compile(r"^\d+$")
_SHORTCODE = re.compile(r"^[0-9A-Za-z_-]+$")
_YT_ID = re.compile(r"^[0-9A-Za-z_-]{11}$")


def host_platform(host: str) -> str | None:
    """The platform a host belongs to (``m.facebook.com`` -> facebook), or None."""
    host = host.lower().rstrip(".")
    for domain, platform in HOSTS.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return None


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, default port, tracking parameters and fragment removed.

    A URL without a scheme (``facebook.com/...``) is read as https. ValueError (in
    Indonesian) for anything that is not an http(s) URL with a host."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise ValueError(f"{url!r} bukan URL http(s) yang lengkap")
    host = parts.hostname.rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r}: nomor port tidak valid") from None
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _after(segments: list[str], keys: Sequence[str], pattern: re.Pattern[str]) -> str | None:
    for index, segment in enumerate(segments[:-1]):
        if segment.lower() in keys and pattern.match(segments[index + 1]):
            return segments[index + 1]
    return None


def _stable_id(platform: str, host: str, segments: list[str], query: dict[str, str]) -> str | None:
    if platform == "facebook":
        for key in ("story_fbid", "fbid", "v"):
            if _FB_ID.match(query.get(key, "")):
                return query[key]
        found = _after(segments, ("posts", "videos", "permalink", "reel", "reels"), _FB_ID)
        return found or next((s for s in segments if s.startswith("pfbid")), None)
    if platform == "instagram":
        return _after(segments, ("p", "reel", "reels", "tv"), _SHORTCODE)
    if platform == "tiktok":
        return _after(segments, ("video", "photo"), _DIGITS)
    if platform == "x":
        return _after(segments, ("status", "statuses"), _DIGITS)
    if platform == "youtube":
        if host.endswith("youtu.be") and segments and _YT_ID.match(segments[0]):
            return segments[0]
        if _YT_ID.match(query.get("v", "")):
            return query["v"]
        return _after(segments, ("shorts", "live", "embed"), _YT_ID)
    if platform == "telegram":
        if segments[:1] == ["s"]:
            segments = segments[1:]
        if len(segments) >= 3 and segments[0] == "c" and segments[1].isdigit():
            return f"c/{segments[1]}/{segments[2]}" if segments[2].isdigit() else None
        if len(segments) >= 2 and segments[1].isdigit():
            return f"{segments[0]}/{segments[1]}"  # as data-post writes it (snscrape route)
        return None
    if platform == "threads":
        return _after(segments, ("post",), _SHORTCODE)
    return None


def url_post_id(url: str) -> str:
    """The post id a URL names: the platform's own id where it has a stable one
    (facebook ``/posts/<id>``, ``story_fbid=``, ``pfbid...``; instagram ``/p/<code>``;
    tiktok ``/video/<id>``; x ``/status/<id>``; youtube ``v=``, ``/shorts/<id>``;
    telegram ``<channel>/<id>``; threads ``/post/<code>``), else ``url:`` and the first 16
    hex digits of the SHA-256 of the normalised URL. ValueError for a bad URL."""
    normal = normalise_url(url)
    parts = urlsplit(normal)
    host = parts.hostname or ""
    platform = host_platform(host)
    if platform is not None:
        segments = [s for s in parts.path.split("/") if s]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        found = _stable_id(platform, host, segments, query)
        if found:
            return found
    return "url:" + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def parse_posted_at(value: str, option: str = "--posted-at") -> datetime:
    """An ISO 8601 time with its offset; InputError naming ``option`` otherwise."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        message = f"{value!r} bukan waktu ISO 8601 (contoh: 2024-10-01T08:00:00+07:00)"
        raise InputError([Problem(option, 0, 0, message, "bad-time")]) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        message = f"{value!r} tanpa zona waktu; tulis offsetnya, mis. 2024-10-01T08:00:00+07:00"
        raise InputError([Problem(option, 0, 0, message, "naive-time")])
    return parsed


def find_account(
    session: Session, spec: str, url_platform: str | None = None
) -> tuple[Account, AccountRow]:
    """A watched account from ``platform:handle`` or a bare handle (unambiguous, or made
    so by the URL's platform). InputError otherwise."""

    def problem(message: str, code: str) -> InputError:
        return InputError([Problem("--account", 0, 0, message, code)])

    platform: str | None = None
    handle = spec.strip()
    if ":" in handle:
        prefix, handle = handle.split(":", 1)
        try:
            platform = parse_platform(prefix)
        except ValueError as exc:
            raise problem(str(exc), "bad-platform") from None
    query = select(AccountRow).where(AccountRow.handle_key == handle_key(handle))
    if platform is not None:
        query = query.where(AccountRow.platform == platform)
    rows = list(session.scalars(query.order_by(AccountRow.platform)))
    if rows and url_platform is not None:
        matching = [r for r in rows if r.platform == url_platform]
        if not matching:
            platforms = ", ".join(r.platform for r in rows)
            raise problem(
                f"URL ini dari platform {url_platform}, tetapi akun {spec!r} dipantau di "
                f"{platforms}",
                "platform-mismatch",
            )
        rows = matching
    if not rows:
        raise problem(
            f"akun {spec!r} tidak ada di daftar pantauan; lihat akun yang dipantau dengan "
            "'asn-monitor watchlist list' (pengajuan hanya untuk akun yang dipantau, "
            "UU 27/2022)",
            "unknown-account",
        )
    if len(rows) > 1:
        names = ", ".join(f"{r.platform}:{r.handle}" for r in rows)
        raise problem(
            f"akun {spec!r} ada di beberapa platform ({names}); tulis sebagai platform:akun",
            "ambiguous-account",
        )
    return to_account(rows[0]), rows[0]


@dataclass(frozen=True)
class Submission:
    """What a monitor submits, checked; ``post()`` is the Post it becomes."""

    url: str
    account: Account
    text: str
    screenshots: tuple[EvidenceFile, ...]
    submitted_at: datetime
    submitted_by: str
    posted_at: datetime | None = None
    note: str | None = None

    def payload(self) -> str:
        document = {
            "url": self.url,
            "text": self.text,
            "account": f"{self.account.platform}:{self.account.handle}",
            "posted_at": self.posted_at.isoformat() if self.posted_at else None,
            "submitted_at": self.submitted_at.isoformat(),
            "submitted_by": self.submitted_by,
            "note": self.note,
            "screenshots": [
                {
                    "sha256": s.sha256,
                    "size": s.size,
                    "media_type": s.media_type,
                    "name": s.source.name,
                }
                for s in self.screenshots
            ],
        }
        return json.dumps(document, ensure_ascii=False)

    def post(self) -> Post:
        return Post(
            platform=self.account.platform,
            post_id=url_post_id(self.url),
            author=self.account.handle,
            text=self.text,
            created_at=self.posted_at or self.submitted_at,
            payload=self.payload(),
            url=self.url,
            raw={"note": self.note, "submitted_by": self.submitted_by},
        )


@dataclass
class SubmitResult:
    platform: str
    post_id: str
    account: str
    post_row_id: int
    new: bool
    #: the text differs from the stored one: recorded as an edit observation
    edited: bool
    #: a decision exists already (the next ``run`` will not decide it again)
    decided: bool
    empty_text: bool
    #: (sha256, newly added to this post) per screenshot given
    screenshots: list[tuple[str, bool]] = field(default_factory=list)


def submit_post(
    store: Store,
    *,
    url: str,
    account: str,
    evidence_dir: Path,
    text: str | None = None,
    screenshots: Sequence[Path] = (),
    posted_at: datetime | None = None,
    note: str | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> SubmitResult:
    """Store one submission and its screenshots in one transaction, audited. Every
    problem with the input is reported at once (InputError) before anything is written."""
    problems: list[Problem] = []
    normal = ""
    try:
        normal = normalise_url(url)
    except ValueError as exc:
        problems.append(Problem(url, 0, 0, str(exc), "bad-url"))
    files: dict[str, EvidenceFile] = {}
    for path in screenshots:
        try:
            file = inspect_file(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        files.setdefault(file.sha256, file)
    text = (text or "").strip()
    if not text and not screenshots:
        message = "tulis teks unggahan (--text/--text-file) atau lampirkan tangkapan layar"
        problems.append(Problem("--text", 0, 0, message + " (--screenshot)", "no-text"))
    if posted_at is not None and posted_at.utcoffset() is None:
        problems.append(Problem("--posted-at", 0, 0, "waktu tanpa zona waktu", "naive-time"))
    if problems:
        raise InputError(problems)
    now = now or utcnow()
    actor = actor or current_actor()
    url_platform = host_platform(urlsplit(normal).hostname or "")
    with store.session() as session:
        watched, account_row = find_account(session, account, url_platform)
        submission = Submission(
            url=normal,
            account=watched,
            text=text,
            screenshots=tuple(files.values()),
            submitted_at=now,
            submitted_by=actor,
            posted_at=posted_at,
            note=note,
        )
        post = submission.post()
        key = (post.platform, post.post_id)
        row = _post_row(session, key)
        stored = None
        if row is None or text:  # no text on a resubmission is not a deleted text
            stored = store_posts(
                session,
                [post],
                collector=COLLECTOR,
                collector_version=COLLECTOR_VERSION,
                account_ids={key: account_row.id},
                now=now,
            )
            row = _post_row(session, key)
        assert row is not None
        known = {f.sha256 for f in evidence_files(session, row.id)}
        for file in files.values():
            store_evidence_file(session, row.id, file, evidence_dir, added_by=actor, now=now)
        result = SubmitResult(
            platform=post.platform,
            post_id=post.post_id,
            account=f"{watched.platform}:{watched.handle}",
            post_row_id=row.id,
            new=bool(stored and stored.new),
            edited=bool(stored and stored.edited),
            decided=bool(session.scalar(select(exists().where(DecisionRow.post_id == row.id)))),
            empty_text=not text,
            screenshots=[(sha, sha not in known) for sha in files],
        )
        audit(
            session,
            "post.submit",
            actor=actor,
            object_type="post",
            object_id=row.id,
            details={
                "url": normal,
                "account": result.account,
                "platform": post.platform,
                "post_id": post.post_id,
                "new": result.new,
                "edited": result.edited,
                "payload_sha256": post.sha256,
                "screenshots": list(files),
                "note": note,
            },
            at=now,
        )
    return result


def _post_row(session: Session, key: tuple[str, str]) -> PostRow | None:
    return session.scalar(
        select(PostRow).where(PostRow.platform == key[0], PostRow.post_id == key[1])
    )
