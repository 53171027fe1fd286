"""Persons and their accounts (the watchlist)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from monitor.domain import Account, Person, handle_key
from monitor.store.models import AccountRow, PersonRow, utcnow

Change = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class AccountView:
    """An account joined with its person, as the CLI and the digest show it."""

    account: Account
    person: Person


def _person_values(person: Person) -> dict[str, object]:
    return {
        "name": person.name,
        "nip": person.nip,
        "agency": person.agency,
        "position": person.position,
        "region": person.region,
        "employment_type": person.employment_type.value,
    }


def _update(row: PersonRow | AccountRow, values: Mapping[str, object], now: datetime) -> Change:
    """Set the fields that differ; ``updated_at`` moves only when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = now
    return "updated" if changed else "unchanged"


def upsert_person(
    session: Session, person: Person, now: datetime | None = None
) -> tuple[PersonRow, Change]:
    now = now or utcnow()
    row = session.scalar(select(PersonRow).where(PersonRow.key == person.key))
    values = _person_values(person)
    if row is None:
        row = PersonRow(key=person.key, created_at=now, updated_at=now, **values)
        session.add(row)
        session.flush()
        return row, "new"
    return row, _update(row, values, now)


def upsert_account(
    session: Session, account: Account, person: PersonRow, now: datetime | None = None
) -> tuple[AccountRow, Change]:
    now = now or utcnow()
    key = handle_key(account.handle)
    row = session.scalar(
        select(AccountRow).where(
            AccountRow.platform == account.platform, AccountRow.handle_key == key
        )
    )
    values = {
        "handle": account.handle,
        "url": account.url,
        "person_id": person.id,
        "verified": account.verified,
        "active": account.active,
    }
    if row is None:
        row = AccountRow(
            platform=account.platform, handle_key=key, created_at=now, updated_at=now, **values
        )
        session.add(row)
        session.flush()
        return row, "new"
    return row, _update(row, values, now)


def to_person(row: PersonRow) -> Person:
    from monitor.domain import EmploymentType

    return Person(
        key=row.key,
        name=row.name,
        employment_type=EmploymentType(row.employment_type),
        agency=row.agency,
        position=row.position,
        region=row.region,
        nip=row.nip,
    )


def to_account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        platform=row.platform,
        handle=row.handle,
        person_key=row.person.key,
        url=row.url,
        verified=row.verified,
        active=row.active,
    )


def list_accounts(
    session: Session, *, platform: str | None = None, active_only: bool = False
) -> list[AccountView]:
    query = select(AccountRow).options(joinedload(AccountRow.person))
    if platform:
        query = query.where(AccountRow.platform == platform)
    if active_only:
        query = query.where(AccountRow.active.is_(True))
    query = query.order_by(AccountRow.platform, AccountRow.handle_key)
    return [AccountView(to_account(r), to_person(r.person)) for r in session.scalars(query)]


def account_ids(session: Session) -> dict[tuple[str, str], int]:
    """``(platform, handle_key) -> account id`` for matching imported posts to accounts."""
    rows = session.execute(select(AccountRow.platform, AccountRow.handle_key, AccountRow.id))
    return {(platform, key): id_ for platform, key, id_ in rows}
