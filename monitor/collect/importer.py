"""``asn-monitor import FILE``: posts from a file, in one of three formats:

* ``post``: JSONL in the project's post format (``postformat``), the default;
* ``snscrape``: the JSONL ``snscrape --jsonl`` writes (``importers.snscrape_jsonl``);
* ``csv``: a CSV export with a column mapping (``importers.csv_mapping``).

A malformed line or row is reported with its number and skipped; nothing else is lost;
importing the same file twice adds nothing. Posts by authors who are not on the watchlist
are not stored unless asked (UU 27/2022: collect only from the monitored population).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from monitor.collect.importers import CsvMapping, Record, read_csv, read_snscrape
from monitor.collect.postformat import read_posts
from monitor.domain import Post, handle_key
from monitor.errors import InputError, Problem
from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.models import utcnow
from monitor.store.people import account_ids
from monitor.store.posts import StoreResult, store_posts

COLLECTOR = "import"
Format = Literal["post", "snscrape", "csv"]
FORMATS: tuple[Format, ...] = ("post", "snscrape", "csv")
#: collector_version of the posts each format stores
VERSIONS = {"post": "import/1", "snscrape": "import-snscrape/1", "csv": "import-csv/1"}


@dataclass
class ImportReport:
    lines: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    unlisted: int = 0
    #: Malformed lines skipped (a line may have several problems).
    rejected: int = 0
    #: Records that are not posts (snscrape profile records), skipped with a warning.
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)


def _records(
    path: Path, fmt: Format, mapping: CsvMapping | None, timezone: str | None
) -> Iterator[Record]:
    if fmt == "post":
        return read_posts(path)
    if fmt == "snscrape":
        return read_snscrape(path, ZoneInfo(timezone) if timezone else None)
    if fmt == "csv":
        if mapping is None:
            raise ValueError("the csv format needs a mapping")
        return read_csv(path, mapping)  # the header is checked here, before any row
    raise ValueError(f"unknown import format {fmt!r}")


def import_posts(
    store: Store,
    path: Path,
    *,
    include_unlisted: bool = False,
    batch_size: int = 500,
    fmt: Format = "post",
    mapping: CsvMapping | None = None,
    timezone: str | None = None,
) -> ImportReport:
    """Import ``path``. ``mapping`` is required for ``csv``; ``timezone`` reads the naive
    times of snscrape records (CSV files take theirs from the mapping)."""
    if not path.is_file():
        raise InputError([Problem(str(path), 0, 0, "berkas tidak ditemukan", "not-found")])
    records = _records(path, fmt, mapping, timezone)
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
                collector_version=VERSIONS[fmt],
                account_ids=ids,
                now=utcnow(),
            )
        batch.clear()

    for lineno, item in records:
        report.lines += 1
        if not isinstance(item, Post):
            report.problems.extend(item)
            if any(p.severity == "error" for p in item):
                report.rejected += 1
            else:
                report.skipped += 1
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
    details: dict[str, Any] = {
        "lines": report.lines,
        "new": report.stored.new,
        "seen": report.stored.seen,
        "edited": report.stored.edited,
        "unlisted": report.unlisted,
        "rejected": report.rejected,
    }
    if fmt != "post":  # the default format's entries keep their original shape
        details |= {"format": fmt, "skipped": report.skipped}
    if mapping is not None:
        details["columns"] = dict(mapping.columns)
    with store.session() as session:
        audit(session, "posts.import", object_type="file", object_id=str(path), details=details)
    return report
