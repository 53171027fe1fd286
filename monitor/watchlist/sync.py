"""Imports a watchlist file into the database: upsert on (platform, handle).

Accounts missing from the file are left as they are (set ``active: false`` to stop
monitoring an account); a bad row is reported and every other row is imported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.domain import handle_key
from monitor.errors import Problem
from monitor.store import Store
from monitor.store.audit import audit
from monitor.store.models import utcnow
from monitor.store.people import upsert_account, upsert_person
from monitor.watchlist.parse import Entry, parse_file


@dataclass
class WatchlistReport:
    persons: Counter[str] = field(default_factory=Counter)
    accounts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows refused (a row with three problems is one row)."""
        return len({(p.path, p.line) for p in self.problems if p.severity == "error"})


def _drop_duplicate_accounts(entries: list[Entry], problems: list[Problem]) -> list[Entry]:
    seen: dict[tuple[str, str], Entry] = {}
    kept = []
    for entry in entries:
        key = (entry.account.platform, handle_key(entry.account.handle))
        if key in seen:
            first = seen[key].where
            problems.append(
                Problem(
                    entry.where.path,
                    entry.where.line,
                    entry.where.col,
                    f"akun {entry.account.platform}:{entry.account.handle} ganda "
                    f"(pertama di baris {first.line})",
                    "duplicate-account",
                )
            )
            continue
        seen[key] = entry
        kept.append(entry)
    return kept


def import_watchlist(store: Store, path: Path, *, dry_run: bool = False) -> WatchlistReport:
    parsed = parse_file(path)
    report = WatchlistReport(problems=list(parsed.problems))
    entries = _drop_duplicate_accounts(parsed.entries, report.problems)
    now = utcnow()
    with store.session() as session:
        persons = {}
        for entry in entries:
            if entry.person.key not in persons:
                row, change = upsert_person(session, entry.person, now)
                persons[entry.person.key] = row
                report.persons[change] += 1
            _, change = upsert_account(session, entry.account, persons[entry.person.key], now)
            report.accounts[change] += 1
        if dry_run:  # counted, not kept
            session.rollback()
        else:  # the changes and their audit row commit together
            _audit(session, path, report, dry_run=False)
    if dry_run:  # a dry run is audited too, in its own transaction
        with store.session() as session:
            _audit(session, path, report, dry_run=True)
    return report


def _audit(session: Session, path: Path, report: WatchlistReport, *, dry_run: bool) -> None:
    audit(
        session,
        "watchlist.import",
        object_type="file",
        object_id=str(path),
        details={
            "persons": dict(report.persons),
            "accounts": dict(report.accounts),
            "rejected_rows": report.rejected,
            "dry_run": dry_run,
        },
    )
