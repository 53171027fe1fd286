"""Writes the watchlist back out, in the same formats it is imported from."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import yaml

from monitor.store.people import AccountView
from monitor.watchlist.parse import COLUMNS


def _person_id(view: AccountView) -> str:
    return view.person.key


def to_csv(views: Sequence[AccountView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in views:
        p, a = v.person, v.account
        writer.writerow(
            [
                _person_id(v),
                p.name,
                p.nip or "",
                p.agency,
                p.position,
                p.region,
                p.employment_type.label,
                a.platform,
                a.handle,
                a.url or "",
                str(a.verified).lower(),
                str(a.active).lower(),
            ]
        )
    return out.getvalue()


def to_yaml(views: Sequence[AccountView]) -> str:
    persons: dict[str, dict[str, Any]] = {}
    for v in views:
        p, a = v.person, v.account
        entry = persons.setdefault(
            p.key,
            {
                "id": p.key,
                "name": p.name,
                **({"nip": p.nip} if p.nip else {}),
                "agency": p.agency,
                "position": p.position,
                "region": p.region,
                "employment_type": p.employment_type.label,
                "accounts": [],
            },
        )
        entry["accounts"].append(
            {
                "platform": a.platform,
                "handle": a.handle,
                "url": a.url,
                "verified": a.verified,
                "active": a.active,
            }
        )
    return yaml.safe_dump({"persons": list(persons.values())}, allow_unicode=True, sort_keys=False)
