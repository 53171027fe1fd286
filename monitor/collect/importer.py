"""``asn-monitor import FILE``: posts from a JSONL file in the project's post format.

A malformed line is reported with its line number and skipped; nothing else is lost;
importing the same file twice adds nothing. Posts by authors who are not on the watchlist
are not stored unless asked (UU 27/2022: collect only from the monitored population).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.collect.postformat import read_posts
from monitor.domain import Post, handle_key
from monitor.errors import InputError, Problem
from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.models import utcnow
from monitor.store.people import account_ids
from monitor.store.posts import StoreResult, store_posts

COLLECTOR = "import"


@dataclass
class ImportReport:
    lines: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    unlisted: int = 0
    #: Malformed lines skipped (a line may have several problems).
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)


def import_posts(
    store: Store, path: Path, *, include_unlisted: bool = False, batch_size: int = 500
) -> ImportReport:
    if not path.is_file():
        raise InputError([Problem(str(path), 0, 0, "berkas tidak ditemukan", "not-found")])
    report = ImportReport()
    with store.session() as session:
        accounts = account_ids(session)
    batch: list[Post] = []

    def flush() -> None:
        if not batch:
            return
        with store.session() as session:
            ids = {
                (p.platform, p.post_id): accounts.get((p.platform, handle_key(p.author)))
                for p in batch
            }
            report.stored += store_posts(
                session,
                batch,
                collector=COLLECTOR,
                collector_version="import/1",
                account_ids=ids,
                now=utcnow(),
            )
        batch.clear()

    for lineno, item in read_posts(path):
        report.lines += 1
        if not isinstance(item, Post):
            report.rejected += 1
            report.problems.extend(item)
            continue
        if (item.platform, handle_key(item.author)) not in accounts and not include_unlisted:
            report.unlisted += 1
            report.problems.append(
                Problem(
                    str(path),
                    lineno,
                    0,
                    f"akun {item.platform}:{item.author} tidak ada di daftar pantauan; dilewati",
                    "unlisted-author",
                    "warning",
                )
            )
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    with store.session() as session:
        audit(
            session,
            "posts.import",
            object_type="file",
            object_id=str(path),
            details={
                "lines": report.lines,
                "new": report.stored.new,
                "seen": report.stored.seen,
                "edited": report.stored.edited,
                "unlisted": report.unlisted,
                "rejected": report.rejected,
            },
        )
    return report
