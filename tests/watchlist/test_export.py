"""monitor.watchlist.export: the watchlist written back out in the formats it is read from.
Export then import into a fresh database gives the same persons and accounts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.domain import Account, EmploymentType, Person
from monitor.store import Store
from monitor.store.people import AccountView, list_accounts
from monitor.watchlist.export import to_csv, to_yaml
from monitor.watchlist.parse import COLUMNS
from monitor.watchlist.sync import import_watchlist

NIP = "198305122009011003"

BUDI = Person(
    key="P01",
    name='Budi "Bebeng" Santoso',
    employment_type=EmploymentType.PNS,
    agency="Dinas Pendidikan, Pemuda dan Olahraga",
    position="Guru\nSD Negeri 1",
    region="Kabupaten Sukamaju",
    nip=NIP,
)
JOKO = Person(key="nama:joko|desa mekarsari", name="Joko", employment_type=EmploymentType.VILLAGE)


def view(person: Person, platform: str, handle: str, **account: Any) -> AccountView:
    return AccountView(Account(platform, handle, person.key, **account), person)


VIEWS = [
    view(BUDI, "x", "@budi", url="https://x.com/budi", verified=True),
    view(BUDI, "instagram", "@budi.ig", active=False),
    view(JOKO, "youtube", "UCjoko"),
]


def test_csv_has_the_import_header_and_one_row_per_account() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(VIEWS))))
    assert rows[0] == list(COLUMNS)
    assert rows[1:] == [
        [
            "P01",
            'Budi "Bebeng" Santoso',
            NIP,
            "Dinas Pendidikan, Pemuda dan Olahraga",
            "Guru\nSD Negeri 1",
            "Kabupaten Sukamaju",
            "PNS",
            "x",
            "@budi",
            "https://x.com/budi",
            "true",
            "true",
        ],
        [
            "P01",
            'Budi "Bebeng" Santoso',
            NIP,
            "Dinas Pendidikan, Pemuda dan Olahraga",
            "Guru\nSD Negeri 1",
            "Kabupaten Sukamaju",
            "PNS",
            "instagram",
            "@budi.ig",
            "",
            "false",
            "false",
        ],
        [
            *("nama:joko|desa mekarsari", "Joko", "", "", "", "", "Perangkat desa"),
            *("youtube", "UCjoko", "", "false", "true"),
        ],
    ]


def test_csv_of_no_accounts_is_just_the_header() -> None:
    assert to_csv([]) == ",".join(COLUMNS) + "\n"


def test_yaml_groups_accounts_under_their_person() -> None:
    data = yaml.safe_load(to_yaml(VIEWS))
    assert data == {
        "persons": [
            {
                "id": "P01",
                "name": 'Budi "Bebeng" Santoso',
                "nip": NIP,
                "agency": "Dinas Pendidikan, Pemuda dan Olahraga",
                "position": "Guru\nSD Negeri 1",
                "region": "Kabupaten Sukamaju",
                "employment_type": "PNS",
                "accounts": [
                    {
                        "platform": "x",
                        "handle": "@budi",
                        "url": "https://x.com/budi",
                        "verified": True,
                        "active": True,
                    },
                    {
                        "platform": "instagram",
                        "handle": "@budi.ig",
                        "url": None,
                        "verified": False,
                        "active": False,
                    },
                ],
            },
            {
                "id": "nama:joko|desa mekarsari",
                "name": "Joko",  # no nip key when there is no NIP
                "agency": "",
                "position": "",
                "region": "",
                "employment_type": "Perangkat desa",
                "accounts": [
                    {
                        "platform": "youtube",
                        "handle": "UCjoko",
                        "url": None,
                        "verified": False,
                        "active": True,
                    }
                ],
            },
        ]
    }


def test_yaml_keeps_indonesian_text_readable() -> None:
    person = replace(BUDI, agency="Dinas Pekerjaan Umum – Bina Marga", region="Sukamaju ☀")
    text = to_yaml([view(person, "x", "@budi")])
    assert "Dinas Pekerjaan Umum – Bina Marga" in text
    assert "☀" in text


def test_yaml_of_no_accounts_imports_as_an_empty_watchlist() -> None:
    assert yaml.safe_load(to_yaml([])) == {"persons": []}


# --- round trips through a database ------------------------------------------------------

#: Rows chosen to trip a writer up: quotes, commas, semicolons, line breaks, YAML 1.1
#: words and number-like text, each employment type, keys from person_id, NIP and name.
WATCHLIST = f"""\
person_id,name,nip,agency,position,region,employment_type,platform,handle,url,verified,active
P01,"Budi ""Bebeng"" Santoso",{NIP},"Dinas Pendidikan, Pemuda dan Olahraga","Guru
SD Negeri 1",Kabupaten Sukamaju,PNS,x,@budi,https://x.com/budi,ya,ya
P01,"Budi ""Bebeng"" Santoso",,,,,PNS,instagram,budi.ig,,,tidak
,Siti Aminah,199001012015032001,Puskesmas Cibening; Sukamaju,Bidan,no,PPPK,tiktok,@siti,,,
,Joko,,Desa Mekarsari,Kepala Desa,,kades,youtube,UCjoko123,,,
007,Yes,,123,null,on,honorer,mastodon,@ani@sosial.example,,true,
P05,Letda Agus,,Kodim 0601,Danramil,,TNI,facebook,agus.tni,,,
P06,Bripka Dedi,,Polres Sukamaju,Bhabinkamtibmas,,Polri,telegram,@dedi_polri,,,
P07,Rina,,PDAM Tirta Sukamaju,Direktur,,BUMD,threads,@rina,,,
P08,Hendra,,PT Kereta Api,Manajer,,BUMN,x,@hendra,,,
"""
ACCOUNTS = 9


def write_source(path: Path) -> Path:
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def snapshot(store: Store) -> list[AccountView]:
    """Every account with its person, without database ids."""
    with store.session() as session:
        return [replace(v, account=replace(v.account, id=None)) for v in list_accounts(session)]


def export(store: Store, fmt: str) -> str:
    views = snapshot(store)
    return to_csv(views) if fmt == "csv" else to_yaml(views)


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_export_then_import_into_a_fresh_database_gives_the_same_watchlist(
    store: Store, fresh_store: Store, tmp_path: Path, fmt: str
) -> None:
    report = import_watchlist(store, write_source(tmp_path / "sumber.csv"))
    assert report.problems == []
    original = snapshot(store)
    assert len(original) == ACCOUNTS

    exported = tmp_path / f"ekspor.{fmt}"
    exported.write_text(export(store, fmt), encoding="utf-8")
    report = import_watchlist(fresh_store, exported)

    assert report.problems == []
    assert dict(report.accounts) == {"new": ACCOUNTS}
    assert snapshot(fresh_store) == original
    # and exporting the copy gives the same file again
    assert export(fresh_store, fmt) == exported.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_importing_an_export_into_the_same_database_changes_nothing(
    store: Store, tmp_path: Path, fmt: str
) -> None:
    import_watchlist(store, write_source(tmp_path / "sumber.csv"))
    exported = tmp_path / f"ekspor.{fmt}"
    exported.write_text(export(store, fmt), encoding="utf-8")
    report = import_watchlist(store, exported)
    assert report.problems == []
    assert set(report.persons) == {"unchanged"}
    assert dict(report.accounts) == {"unchanged": ACCOUNTS}


def test_the_source_round_trip_keeps_the_tricky_values(store: Store, tmp_path: Path) -> None:
    import_watchlist(store, write_source(tmp_path / "sumber.csv"))
    by_handle = {v.account.handle: v for v in snapshot(store)}
    budi = by_handle["@budi.ig"].person
    assert (budi.name, budi.agency, budi.position) == (
        'Budi "Bebeng" Santoso',
        "Dinas Pendidikan, Pemuda dan Olahraga",  # filled in from the first row
        "Guru\nSD Negeri 1",
    )
    assert by_handle["@budi.ig"].account.active is False
    assert by_handle["@siti"].person.key == "nip:199001012015032001"
    assert by_handle["@siti"].person.region == "no"
    assert by_handle["UCjoko123"].person.key == "nama:joko|desa mekarsari"
    ani = by_handle["@ani@sosial.example"]
    assert (ani.person.key, ani.person.name, ani.person.agency, ani.person.position) == (
        "007",
        "Yes",
        "123",
        "null",
    )
    assert ani.person.employment_type is EmploymentType.NON_ASN
