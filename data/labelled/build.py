#!/usr/bin/env python3
"""Build the labelled training data for asn-monitor's post classifier.

Reads the fictional candidate registries (``registries/*.yaml``, the shape of
``examples/demo/candidates``) and the hand-written templates (``templates/*.yaml``), renders
every variant of every template against several elections and pairs, adds light
social-media noise, and writes ``train.jsonl``, ``valid.jsonl`` and ``test.jsonl`` next to
this script. The split is made by template id, stratified by label, so every paraphrase of
a template lands in the same split and no test sentence has a sibling in training.

Deterministic: every random choice comes from ``random.Random`` seeded with a fixed string,
so running the script again rewrites the three files byte for byte. Only the standard
library and PyYAML are used.

    .venv/bin/python data/labelled/build.py            # build and print the counts
    .venv/bin/python data/labelled/build.py --check    # build in memory, compare with the files

Written for asn-monitor; GPL-3.0-or-later, like the project.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

HERE = Path(__file__).resolve().parent
SEED = "asn-monitor-labelled-v1"

LABELS = (
    "support",
    "campaign_share",
    "attack",
    "money_politics",
    "political_neutral",
    "non_political",
)
POLITICAL = {"support", "campaign_share", "attack", "money_politics", "political_neutral"}
PLATFORMS = ("x", "facebook", "instagram", "tiktok", "telegram", "mastodon", "youtube")
#: Platforms for a template that names none. YouTube posts are video titles with a
#: description, so only templates written that way (``platforms: [youtube]``) go there.
DEFAULT_PLATFORMS = ("x", "facebook", "instagram", "tiktok", "telegram", "mastodon")
DEFAULT_WEIGHTS = (24, 28, 19, 17, 6, 6)
STAGES = ("pre_candidacy", "candidates_named", "campaign", "quiet", "voting_day")
SPLITS = ("train", "valid", "test")
#: Where each position of a 20-template cycle goes: 14 train, 3 valid, 3 test (70/15/15).
SPLIT_CYCLE = "TTVTTXTTTVTTXTTTVTXT"
#: Rows rendered per template; variants are used in turn, so every variant appears.
ROWS_PER_TEMPLATE = 8
MIN_ELECTIONS_PER_TEMPLATE = 3
MIN_VARIANTS, MAX_VARIANTS = 3, 8
#: Kinds written in a formal register: no slang, typos or case games.
FORMAL_KINDS = {"trap_news", "trap_voter_education", "trap_programme"}
TEMPLATE_KEYS = {
    "id", "label", "kind", "variants", "shared_from", "stage", "platforms", "register",
    "target", "author", "note",
}  # fmt: skip

NUMBER_WORDS = {1: "satu", 2: "dua", 3: "tiga", 4: "empat", 5: "lima", 6: "enam"}
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
OFFICE = {"kabupaten": "bupati", "kota": "wali kota", "provinsi": "gubernur"}
OFFICE_SHORT = {"kabupaten": "cabup", "kota": "cawalkot", "provinsi": "cagub"}
DEPUTY_OFFICE = {
    "kabupaten": "wakil bupati", "kota": "wakil wali kota", "provinsi": "wakil gubernur",
}  # fmt: skip
DEPUTY_OFFICE_SHORT = {"kabupaten": "wabup", "kota": "wawalkot", "provinsi": "wagub"}
PILKADA = {"kabupaten": "Pilbup", "kota": "Pilwalkot", "provinsi": "Pilgub"}
REGION_PREFIXES = ("Kabupaten ", "Kota ", "Provinsi ")

#: Small slang map for noise: a formal word and the ways people type it.
SLANG = {
    "yang": ["yg"],
    "tidak": ["gak", "ga", "tdk", "nggak"],
    "enggak": ["gak", "ngga"],
    "sudah": ["udh", "sdh", "udah"],
    "saya": ["sy", "aku"],
    "dengan": ["dgn", "sama"],
    "banget": ["bgt", "bngt"],
    "untuk": ["utk", "buat"],
    "jangan": ["jgn"],
    "tapi": ["tp"],
    "kalau": ["kalo", "klo"],
    "bisa": ["bs"],
    "juga": ["jg"],
    "dari": ["dr"],
    "karena": ["krn", "karna"],
    "belum": ["blm"],
    "sekarang": ["skrg"],
    "semua": ["smua"],
    "lagi": ["lg"],
    "saja": ["aja"],
    "orang": ["org"],
    "terima kasih": ["makasih", "trims", "mksh"],
    "bapak-bapak": ["bapak2"],
    "ibu-ibu": ["ibu2"],
    "anak-anak": ["anak2"],
    "teman-teman": ["temen2", "tmn2"],
    "sama": ["sm"],
    "bagaimana": ["gmn", "gimana"],
    "begitu": ["gitu"],
    "seperti": ["kyk", "kayak"],
    "nanti": ["ntar", "nnti"],
    "langsung": ["lgsg"],
    "sampai": ["sampe"],
    "pakai": ["pake"],
    "mantap": ["mantul", "mantab"],
    "memang": ["emang"],
    "tahun": ["thn"],
    "tanggal": ["tgl"],
    "dulu": ["dl"],
    "banyak": ["byk"],
}
#: Words whose last letter people stretch ("mantapp", "bgttt").
EXPRESSIVE = (
    "mantap", "mantul", "banget", "bgt", "keren", "gas", "ayo", "yuk", "semangat", "lanjut",
    "sip", "gaskeun", "parah", "asik", "seru", "cakep", "enak", "pokoknya", "bener", "amin",
)  # fmt: skip
#: Emoji the noise may append to a post that does not already end with one. Never a
#: finger gesture (☝️ ✌️ 👍 🤟 ...): those carry meaning here.
NOISE_EMOJI = ("🙏", "😊", "😁", "🙂", "✨", "💪", "🤲", "😅")

#: Fillers that make rendered posts differ; per election where the region suggests a flavour.
LOCAL = {
    "pilbup-karangsari-2024": {
        "desa": ["Sidomulyo", "Karangrejo", "Ngadirejo", "Sumberagung", "Tegalsari", "Wonokerto"],
        "kecamatan": ["Karangsari Kota", "Ngawen", "Sukorejo", "Pringapus", "Tawangsari"],
        "name": ["Sri", "Wahyu", "Joko", "Ratna", "Bayu", "Dewi", "Agus", "Yuli", "Eko", "Nanik"],
    },
    "pilwalkot-sindangraja-2024": {
        "desa": ["Cibeureum", "Sukagalih", "Margaluyu", "Cikaret", "Panyingkiran", "Sindangsari"],
        "kecamatan": ["Sindangraja Kaler", "Sindangraja Kidul", "Cipanas Hilir", "Babakan"],
        "name": ["Ujang", "Neng", "Dedi", "Yanti", "Cecep", "Euis", "Iwan", "Lilis", "Asep"],
    },
    "pilgub-bukit-barisan-2024": {
        "desa": [
            "Nagari Koto Baru",
            "Huta Tonga",
            "Sipirok Dolok",
            "Nagari Sungai Abu",
            "Lumban Toruan",
        ],
        "kecamatan": ["Lintau", "Pahae Jae", "Batang Anai", "Siborong", "Tanjung Emas"],
        "name": ["Rini", "Hotma", "Yusuf", "Fitri", "Roy", "Dedi", "Sari", "Rudi", "Marlina"],
    },
    "pilbup-pallawa-2024": {
        "desa": ["Tellu Limpoe", "Bulu Cenrana", "Lapajung", "Watang Pulu", "Mallawa", "Tanete"],
        "kecamatan": ["Pallawa Kota", "Bontolempangan", "Tanasitolo", "Maniangpajo"],
        "name": ["Ilham", "Hasni", "Anto", "Fitri", "Rahmat", "Nurul", "Syarif", "Ani", "Irfan"],
    },
    "pilbup-teluk-kasuari-2024": {
        "desa": [
            "Kampung Waren",
            "Kampung Sowi",
            "Kampung Yoboi",
            "Kampung Ambai",
            "Kampung Serui Laut",
        ],
        "kecamatan": ["Distrik Kasuari Utara", "Distrik Teluk Biru", "Distrik Wondama Hilir"],
        "name": ["Markus", "Yuliana", "Frans", "Ester", "Petrus", "Maria", "Obet", "Debora"],
    },
    "pilwalkot-talang-mandiri-2024": {
        "desa": [
            "Kelurahan Pasar Usang",
            "Kelurahan Koto Panjang",
            "Kelurahan Talang Atas",
            "Kelurahan Air Camar",
        ],
        "kecamatan": ["Talang Barat", "Talang Timur", "Koto Tangah", "Lubuk Sikarah"],
        "name": ["Rahmat", "Yessi", "Fauzi", "Mira", "Andika", "Nia", "Zul", "Vivi", "Hendra"],
    },
    "pilwalkot-muara-sembilan-2024": {
        "desa": [
            "Kelurahan Sungai Lulut",
            "Kelurahan Teluk Dalam",
            "Kelurahan Pekapuran",
            "Kelurahan Alalak",
        ],
        "kecamatan": ["Muara Utara", "Muara Selatan", "Banua Hilir", "Tepian Barat"],
        "name": ["Ahmad", "Rusmini", "Yayan", "Norhayati", "Rizal", "Halimah", "Deni", "Lina"],
    },
    "pilgub-celebes-raya-2024": {
        "desa": [
            "Desa Bontoa",
            "Desa Lembang",
            "Desa Pattallassang",
            "Desa Rantebua",
            "Desa Tondano Pante",
        ],
        "kecamatan": ["Malili", "Rantepao Raya", "Bontoala", "Tondano Timur"],
        "name": ["Andi", "Nurul", "Yohan", "Hasni", "Ferdi", "Marni", "Ical", "Sinta"],
    },
}
GENERIC_LOCAL = {
    "desa": ["Sukamakmur", "Mekarjaya", "Sumbersari", "Tanjungsari"],
    "kecamatan": ["Kota", "Utara", "Selatan"],
    "name": ["Dina", "Rudi", "Sari", "Andi"],
}
AMOUNTS = (
    "50rb",
    "100rb",
    "150rb",
    "200rb",
    "Rp50.000",
    "Rp100.000",
    "seratus ribu",
    "50 ribu",
    "300rb",
)
HANDLE_WORDS = (
    "guru", "bidan", "perawat", "dishub", "satpolpp", "kades", "pkm", "dinkes", "dukcapil", "pns",
    "staf", "kec", "bhabin", "babinsa", "pdam", "penyuluh", "humas", "tendik", "ops", "sekdes",
)  # fmt: skip
HANDLE_SUFFIX = ("", "_", "__", "88", "99", "01", "12", "21", "07", "id", "real", "xx")

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


# ----------------------------------------------------------------------------- registries


@dataclass(frozen=True)
class Pair:
    number: int
    head: str
    deputy: str
    short_names: tuple[str, ...]
    nicknames: tuple[str, ...]
    taglines: tuple[str, ...]
    hashtags: tuple[str, ...]
    incumbent: bool
    gesture: str
    official: tuple[str, ...]
    winning_team: tuple[str, ...]

    def short(self, which: int) -> str:
        if len(self.short_names) > which:
            return self.short_names[which]
        name = (self.head, self.deputy)[which].split()[0]
        return f"Pak {name}" if which == 0 else name


@dataclass(frozen=True)
class Election:
    id: str
    name: str
    region: str
    province: str | None
    level: str
    timezone: str
    calendar: dict[str, date]
    pairs: tuple[Pair, ...]

    @property
    def incumbent(self) -> Pair | None:
        return next((p for p in self.pairs if p.incumbent), None)

    @property
    def region_bare(self) -> str:
        for prefix in REGION_PREFIXES:
            if self.region.startswith(prefix):
                return self.region[len(prefix) :]
        return self.region

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]", "", self.region_bare.lower())


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load_registries(folder: Path) -> list[Election]:
    elections = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        info = data["election"]
        pairs = []
        for p in data["pairs"]:
            accounts = p.get("accounts") or {}
            pairs.append(
                Pair(
                    number=int(p["number"]),
                    head=p["head"],
                    deputy=p["deputy"],
                    short_names=tuple(p.get("short_names") or ()),
                    nicknames=tuple(p.get("nicknames") or ()),
                    taglines=tuple(p.get("taglines") or ()),
                    hashtags=tuple(p.get("hashtags") or ()),
                    incumbent=bool(p.get("incumbent", False)),
                    gesture=p.get("gesture") or "",
                    official=tuple(accounts.get("official") or ()),
                    winning_team=tuple(accounts.get("winning_team") or ()),
                )
            )
        for pair in pairs:
            missing = [
                key
                for key, value in (
                    ("nicknames", pair.nicknames),
                    ("taglines", pair.taglines),
                    ("hashtags", pair.hashtags),
                    ("gesture", pair.gesture),
                    ("accounts.official", pair.official),
                    ("accounts.winning_team", pair.winning_team),
                )
                if not value
            ]
            if missing:
                sys.exit(f"{path}: pair {pair.number} lacks {', '.join(missing)}")
        elections.append(
            Election(
                id=info["id"],
                name=info["name"],
                region=info["region"],
                province=info.get("province"),
                level=info["level"],
                timezone=info["timezone"],
                calendar={k: _as_date(v) for k, v in info["calendar"].items()},
                pairs=tuple(sorted(pairs, key=lambda p: p.number)),
            )
        )
    if len(elections) < MIN_ELECTIONS_PER_TEMPLATE:
        sys.exit(f"need at least {MIN_ELECTIONS_PER_TEMPLATE} registries in {folder}")
    return elections


# ------------------------------------------------------------------------------ templates

PAIR_KEYS = {
    "head", "deputy", "short", "short_deputy", "nick", "nick_pair", "acronym", "number",
    "number_word", "tagline", "hashtag", "official", "winning_team", "gesture",
}  # fmt: skip
OTHER_KEYS = {
    "other_head", "other_short", "other_nick", "other_acronym", "other_number", "other_number_word",
    "other_gesture", "other_hashtag", "other_tagline", "other_official",
}  # fmt: skip
INCUMBENT_KEYS = {
    "incumbent_head", "incumbent_short", "incumbent_nick", "incumbent_acronym", "incumbent_number",
    "incumbent_gesture", "incumbent_hashtag", "incumbent_tagline",
}  # fmt: skip
ELECTION_KEYS = {
    "region", "region_full", "region_kind", "region_slug", "province", "office", "office_cap",
    "office_short", "deputy_office", "deputy_office_short", "pilkada", "vote_date",
    "n_pairs", "n_pairs_word", "pairs_list", "pairs_inline", "kpu", "bawaslu",
    "kpu_account", "bawaslu_account", "news_url",
}  # fmt: skip
FILLER_KEYS = {"desa", "kecamatan", "name", "rt", "tps", "amount", "n", "day", "hour"}
ALL_KEYS = PAIR_KEYS | OTHER_KEYS | INCUMBENT_KEYS | ELECTION_KEYS | FILLER_KEYS
NUMBER_KEYS = {
    "number", "number_word", "gesture", "other_number", "other_number_word", "other_gesture",
    "incumbent_number", "incumbent_gesture", "n_pairs", "n_pairs_word", "pairs_list",
    "pairs_inline",
}  # fmt: skip


@dataclass
class Template:
    id: str
    label: str
    kind: str
    variants: list[str]
    source: str
    shared_from: str | None = None
    stages: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    formal: bool = False
    target: str | None = None
    author: str | None = None
    keys: set[str] = field(default_factory=set)

    @property
    def needs_incumbent(self) -> bool:
        return self.target is not None or bool(self.keys & INCUMBENT_KEYS)


def load_templates(folder: Path) -> list[Template]:
    problems: list[str] = []
    templates: list[Template] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data.get("templates") if isinstance(data, dict) else data
        if not isinstance(items, list):
            problems.append(f"{path.name}: expected a list under 'templates:'")
            continue
        for item in items:
            where = f"{path.name}:{item.get('id', '?')}"
            unknown = set(item) - TEMPLATE_KEYS
            if unknown:
                problems.append(f"{where}: unknown keys {sorted(unknown)}")
            tid = item.get("id")
            if not tid or not isinstance(tid, str):
                problems.append(f"{where}: missing id")
                continue
            if tid in seen:
                problems.append(f"{where}: id also used in {seen[tid]}")
            seen[tid] = path.name
            label = item.get("label")
            if label not in LABELS:
                problems.append(f"{where}: label {label!r} not one of {LABELS}")
            kind = item.get("kind")
            if not kind or not isinstance(kind, str):
                problems.append(f"{where}: missing kind")
            variants = item.get("variants") or []
            if not (MIN_VARIANTS <= len(variants) <= MAX_VARIANTS):
                problems.append(
                    f"{where}: {len(variants)} variants (need {MIN_VARIANTS}-{MAX_VARIANTS})"
                )
            if len(set(variants)) != len(variants):
                problems.append(f"{where}: duplicate variants")
            if any(not isinstance(v, str) or not v.strip() for v in variants):
                problems.append(f"{where}: empty or non-text variant")
                continue
            stage = item.get("stage")
            stages = tuple([stage] if isinstance(stage, str) else stage or ())
            for s in stages:
                if s not in STAGES:
                    problems.append(f"{where}: stage {s!r} not one of {STAGES}")
            platforms = tuple(item.get("platforms") or ())
            for p in platforms:
                if p not in PLATFORMS:
                    problems.append(f"{where}: platform {p!r} not one of {PLATFORMS}")
            target = item.get("target")
            if target not in (None, "incumbent", "challenger"):
                problems.append(f"{where}: target must be incumbent or challenger")
            keys: set[str] = set()
            for text in [*variants, item.get("shared_from") or "", item.get("author") or ""]:
                keys |= set(PLACEHOLDER.findall(text))
            if keys - ALL_KEYS:
                problems.append(f"{where}: unknown placeholders {sorted(keys - ALL_KEYS)}")
            if stages and set(stages) <= {"pre_candidacy"} and keys & NUMBER_KEYS:
                problems.append(f"{where}: ballot numbers/gestures before candidates are named")
            templates.append(
                Template(
                    id=tid,
                    label=label,
                    kind=kind,
                    variants=list(variants),
                    source=path.name,
                    shared_from=item.get("shared_from"),
                    stages=stages,
                    platforms=platforms,
                    formal=item.get("register") == "formal" or kind in FORMAL_KINDS,
                    target=target,
                    author=item.get("author"),
                    keys=keys,
                )
            )
    if problems:
        sys.exit("template problems:\n  " + "\n  ".join(problems))
    return templates


# ---------------------------------------------------------------------------------- split


def assign_splits(templates: list[Template]) -> dict[str, str]:
    """Template id -> split. Per label, templates are ordered by kind (shuffled inside a
    kind) and dealt along SPLIT_CYCLE, so every label, and most kinds, reach every split."""
    split_of: dict[str, str] = {}
    by_label: dict[str, list[Template]] = defaultdict(list)
    for t in templates:
        by_label[t.label].append(t)
    letters = {"T": "train", "V": "valid", "X": "test"}
    for label in LABELS:
        group = by_label.get(label, [])
        rng = random.Random(f"{SEED}:split:{label}")
        by_kind: dict[str, list[Template]] = defaultdict(list)
        for t in sorted(group, key=lambda t: t.id):
            by_kind[t.kind].append(t)
        ordered: list[Template] = []
        for kind in sorted(by_kind):
            members = by_kind[kind]
            rng.shuffle(members)
            ordered.extend(members)
        offset = rng.randrange(len(SPLIT_CYCLE))
        for i, t in enumerate(ordered):
            split_of[t.id] = letters[SPLIT_CYCLE[(i + offset) % len(SPLIT_CYCLE)]]
    return split_of


# ------------------------------------------------------------------------------ rendering


def stage_window(election: Election, stage: str) -> tuple[date, date]:
    cal = election.calendar
    one = timedelta(days=1)
    if stage == "pre_candidacy":
        return cal["candidates_named"] - timedelta(days=40), cal["candidates_named"] - one
    if stage == "candidates_named":
        return cal["candidates_named"], cal["campaign_start"] - one
    if stage == "campaign":
        return cal["campaign_start"], cal["campaign_end"]
    if stage == "quiet":
        return cal["campaign_end"] + one, cal["vote"] - one
    return cal["vote"], cal["vote"]


def pick_datetime(rng: random.Random, template: Template, election: Election) -> datetime:
    if template.stages:
        stage = rng.choice(template.stages)
        first, last = stage_window(election, stage)
    elif template.label in POLITICAL:
        first, last = stage_window(election, "campaign")
    else:  # everyday posts: any day from the pre-candidacy weeks to voting day
        first = stage_window(election, "pre_candidacy")[0] + timedelta(days=10)
        last = election.calendar["vote"]
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    hour = rng.choices(
        range(5, 24), weights=[2, 5, 7, 8, 7, 6, 6, 5, 4, 4, 5, 6, 6, 7, 8, 8, 7, 5, 3]
    )[0]
    moment = time(hour, rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, moment, tzinfo=ZoneInfo(election.timezone))


def make_id(rng: random.Random, platform: str, election: Election) -> str:
    digits = "0123456789"
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    if platform == "x":
        return "18" + "".join(rng.choice(digits) for _ in range(17))
    if platform == "facebook":
        return "10" + "".join(rng.choice(digits) for _ in range(15))
    if platform == "instagram":
        return rng.choice("CD") + "".join(rng.choice(alnum + "_-") for _ in range(10))
    if platform == "tiktok":
        return "74" + "".join(rng.choice(digits) for _ in range(17))
    if platform == "youtube":
        return "".join(rng.choice(alnum + "_-") for _ in range(11))
    if platform == "mastodon":
        return "113" + "".join(rng.choice(digits) for _ in range(15))
    channel = rng.choice(("info", "kabar", "warta", "seputar"))
    return f"{channel}{election.slug}/{rng.randrange(100, 9999)}"


def make_author(rng: random.Random, election: Election) -> str:
    names = LOCAL.get(election.id, GENERIC_LOCAL)["name"] + GENERIC_LOCAL["name"]
    first = rng.choice(names).lower()
    style = rng.randrange(5)
    if style == 0:
        handle = f"{first}{rng.choice(('.', '_'))}{rng.choice(HANDLE_WORDS)}"
    elif style == 1:
        handle = f"{rng.choice(HANDLE_WORDS)}_{first}{rng.choice(HANDLE_SUFFIX)}"
    elif style == 2:
        handle = (
            f"{first}{rng.choice(('', '.', '_'))}{election.slug[:6]}{rng.choice(HANDLE_SUFFIX)}"
        )
    elif style == 3:
        other = rng.choice(names).lower()
        handle = f"{first}.{other[: rng.randrange(2, 5)]}{rng.choice(HANDLE_SUFFIX)}"
    else:
        handle = f"{first}{rng.randrange(70, 100)}{rng.choice(HANDLE_SUFFIX)}"
    return "@" + handle.strip("._")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class Context:
    """The values of every placeholder for one rendering."""

    def __init__(self, rng: random.Random, election: Election, pair: Pair, when: datetime) -> None:
        self.rng = rng
        self.election = election
        self.pair = pair
        others = [p for p in election.pairs if p.number != pair.number]
        inc = election.incumbent
        if inc is not None and inc.number != pair.number:
            # an opposing pair is the incumbent more often than not: that is who gets attacked
            self.other = inc if rng.random() < 0.5 else rng.choice(others)
        else:
            self.other = rng.choice(others)
        self.incumbent = inc
        self.when = when
        self.local = LOCAL.get(election.id, GENERIC_LOCAL)
        self.cache: dict[str, str] = {}

    def nick(self, pair: Pair) -> str:
        # the acronym most of the time, the "Head-Deputy" form sometimes
        if len(pair.nicknames) > 1 and self.rng.random() < 0.2:
            return self.rng.choice(pair.nicknames[1:])
        return pair.nicknames[0]

    def value(self, key: str) -> str:
        if key in self.cache:  # one post names one tagline, one hashtag, one village...
            return self.cache[key]
        value = self._value(key)
        self.cache[key] = value
        return value

    def _value(self, key: str) -> str:
        e, p, o, rng = self.election, self.pair, self.other, self.rng
        i = self.incumbent
        if key.startswith("incumbent_"):
            if i is None:
                raise KeyError(f"{e.id} has no incumbent")
            p, key = i, key[len("incumbent_") :]
        elif key.startswith("other_"):
            p, key = o, key[len("other_") :]
        if key == "head":
            return p.head
        if key == "deputy":
            return p.deputy
        if key == "short":
            return p.short(0)
        if key == "short_deputy":
            return p.short(1)
        if key == "nick":
            return self.nick(p)
        if key == "nick_pair":
            return p.nicknames[-1]
        if key == "acronym":
            return p.nicknames[0]
        if key == "number":
            return str(p.number)
        if key == "number_word":
            return NUMBER_WORDS[p.number]
        if key == "tagline":
            return rng.choice(p.taglines)
        if key == "hashtag":
            tags = p.hashtags
            if self.when.date() < e.calendar["candidates_named"]:  # no ballot numbers yet
                tags = tuple(t for t in tags if not any(c.isdigit() for c in t)) or tags
            return rng.choice(tags)
        if key == "official":
            return rng.choice(p.official)
        if key == "winning_team":
            return rng.choice(p.winning_team)
        if key == "gesture":
            return p.gesture
        if key == "region":
            return e.region_bare
        if key == "region_full":
            return e.region
        if key == "region_kind":
            return e.level
        if key == "region_slug":
            return e.slug
        if key == "province":
            return e.province or e.region
        if key == "office":
            return OFFICE[e.level]
        if key == "office_cap":
            return OFFICE[e.level].title()
        if key == "office_short":
            return OFFICE_SHORT[e.level]
        if key == "deputy_office":
            return DEPUTY_OFFICE[e.level]
        if key == "deputy_office_short":
            return DEPUTY_OFFICE_SHORT[e.level]
        if key == "pilkada":
            return f"{PILKADA[e.level]} {e.region_bare}"
        if key == "vote_date":
            vote = e.calendar["vote"]
            return f"{vote.day} {MONTHS[vote.month - 1]}"
        if key == "n_pairs":
            return str(len(e.pairs))
        if key == "n_pairs_word":
            return NUMBER_WORDS[len(e.pairs)]
        if key == "pairs_list":
            return "\n".join(f"{q.number}. {q.head} – {q.deputy}" for q in e.pairs)
        if key == "pairs_inline":
            return ", ".join(f"{q.number} {q.nicknames[0]}" for q in e.pairs)
        if key == "kpu":
            return f"KPU {e.region}"
        if key == "bawaslu":
            return f"Bawaslu {e.region}"
        if key == "kpu_account":
            return f"@kpu.{e.slug}"
        if key == "bawaslu_account":
            return f"@bawaslu.{e.slug}"
        if key == "news_url":
            outlet = rng.choice(("pos", "news", "today", "ekspres", "terkini"))
            words = rng.sample(("pilkada", "paslon", "kampanye", "warga", "debat", "kpu", "tps"), 3)
            return f"https://{e.slug}{outlet}.example/{self.when:%Y/%m/%d}/{'-'.join(words)}"
        if key in ("desa", "kecamatan", "name"):
            return rng.choice(self.local[key])
        if key == "rt":
            return f"{rng.randrange(1, 13):02d}"
        if key == "tps":
            return f"{rng.randrange(1, 25):02d}"
        if key == "amount":
            return rng.choice(AMOUNTS)
        if key == "n":
            return str(rng.randrange(2, 10))
        if key == "day":
            return rng.choice(DAYS)
        if key == "hour":
            return f"{rng.choice((7, 8, 9, 10, 13, 14, 15, 16, 19, 20))}.{rng.choice(('00', '30'))}"
        raise KeyError(key)

    def render(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1)), text)


# ---------------------------------------------------------------------------------- noise

_SLANG_RE = {
    word: re.compile(rf"(?<![#@\w/.{{]){re.escape(word)}(?![\w}}])", re.IGNORECASE)
    for word in SLANG
}
_EXPRESSIVE_RE = re.compile(rf"(?<![#@\w/.{{])({'|'.join(EXPRESSIVE)})(?![\w}}])", re.IGNORECASE)
_WORD_RE = re.compile(r"(?<![#@\w/.{-])[A-Za-z]{5,}(?![\w}:/-])(?!\.\w)")


def _match_case(src: str, repl: str) -> str:
    if src.isupper() and len(src) > 1:
        return repl.upper()
    if src[:1].isupper():
        return _cap(repl)
    return repl


def _outside_placeholders(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the text between ``{placeholders}`` only."""
    parts = re.split(r"(\{[a-z_]+\})", text)
    return "".join(part if PLACEHOLDER.fullmatch(part) else fn(part) for part in parts)


def add_noise(rng: random.Random, text: str, platform: str, formal: bool) -> str:
    """Noise on the template text, before placeholders are filled, so names stay intact."""
    if formal or platform in ("telegram", "youtube"):
        slang_p, typo_p, stretch_p = (0.0, 0.0, 0.0) if formal else (0.1, 0.03, 0.05)
    elif platform in ("x", "tiktok", "instagram"):
        slang_p, typo_p, stretch_p = 0.45, 0.12, 0.3
    else:  # facebook, mastodon
        slang_p, typo_p, stretch_p = 0.3, 0.08, 0.15

    def swap(word: str) -> Callable[[re.Match[str]], str]:
        def pick(m: re.Match[str]) -> str:
            if rng.random() < slang_p:
                return _match_case(m.group(0), rng.choice(SLANG[word]))
            return m.group(0)

        return pick

    def slang(part: str) -> str:
        for word, regex in _SLANG_RE.items():
            part = regex.sub(swap(word), part)
        return part

    def stretch(part: str) -> str:
        return _EXPRESSIVE_RE.sub(
            lambda m: (
                m.group(0) + m.group(0)[-1] * rng.randrange(1, 4)
                if rng.random() < stretch_p
                else m.group(0)
            ),
            part,
        )

    if slang_p:
        text = _outside_placeholders(text, slang)
    if stretch_p:
        text = _outside_placeholders(text, stretch)
    if typo_p and rng.random() < typo_p:
        spans = [m.span() for m in _WORD_RE.finditer(text)]
        spans = [s for s in spans if not _inside_placeholder(text, s)]
        if spans:
            start, end = rng.choice(spans)
            word = list(text[start:end])
            j = rng.randrange(1, len(word) - 2)
            how = rng.randrange(3)
            if how == 0:
                word[j], word[j + 1] = word[j + 1], word[j]
            elif how == 1:
                del word[j]
            else:
                word.insert(j, word[j])
            text = text[:start] + "".join(word) + text[end:]
    return text


def _inside_placeholder(text: str, span: tuple[int, int]) -> bool:
    return any(m.start() <= span[0] < m.end() for m in PLACEHOLDER.finditer(text))


def finish(rng: random.Random, text: str, platform: str, formal: bool) -> str:
    """Case games and an extra emoji, on the rendered text."""
    if not formal and platform not in ("telegram", "youtube"):
        roll = rng.random()
        if roll < 0.10:
            text = text.lower()
        elif roll < 0.12 and len(text) < 90 and "@" not in text and "http" not in text:
            text = text.upper()
    if rng.random() < (0.05 if formal else 0.2) and not _ends_with_emoji(text):
        text = text.rstrip() + " " + rng.choice(NOISE_EMOJI)
    return text


def _ends_with_emoji(text: str) -> bool:
    tail = text.rstrip().rstrip("\ufe0f\u200d")
    return bool(tail) and ord(tail[-1]) >= 0x2300


# ---------------------------------------------------------------------------------- build


def eligible_pairs(template: Template, election: Election) -> list[Pair]:
    inc = election.incumbent
    if inc is None:
        return [] if template.needs_incumbent else list(election.pairs)
    if template.target == "incumbent":
        return [inc]
    uses_pair = bool(template.keys & PAIR_KEYS) or bool(template.keys & OTHER_KEYS)
    if template.target == "challenger" or (template.keys & INCUMBENT_KEYS and uses_pair):
        return [p for p in election.pairs if not p.incumbent]
    if template.keys & INCUMBENT_KEYS:
        return [inc]
    return list(election.pairs)


def render_template(
    template: Template, elections: list[Election], used_ids: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    rng = random.Random(f"{SEED}:render:{template.id}")
    pool = [(e, eligible_pairs(template, e)) for e in elections]
    pool = [(e, pairs) for e, pairs in pool if pairs]
    if len(pool) < MIN_ELECTIONS_PER_TEMPLATE:
        sys.exit(
            f"{template.id}: only {len(pool)} elections fit (need {MIN_ELECTIONS_PER_TEMPLATE})"
        )
    rng.shuffle(pool)
    rows = []
    used_pairs: set[tuple[str, int]] = set()
    for j in range(ROWS_PER_TEMPLATE):
        election, pairs = pool[j % len(pool)]
        fresh = [p for p in pairs if (election.id, p.number) not in used_pairs] or pairs
        pair = rng.choice(fresh)
        used_pairs.add((election.id, pair.number))
        variant = template.variants[j % len(template.variants)]
        platform = (
            rng.choice(template.platforms)
            if template.platforms
            else rng.choices(DEFAULT_PLATFORMS, weights=DEFAULT_WEIGHTS)[0]
        )
        when = pick_datetime(rng, template, election)
        ctx = Context(rng, election, pair, when)
        text = add_noise(rng, variant, platform, template.formal)
        text = finish(rng, ctx.render(text), platform, template.formal)
        author = ctx.render(template.author) if template.author else make_author(rng, election)
        post_id = make_id(rng, platform, election)
        while (platform, post_id) in used_ids:
            post_id = make_id(rng, platform, election)
        used_ids.add((platform, post_id))
        row = {
            "id": post_id,
            "platform": platform,
            "author": author,
            "text": text,
            "created_at": when.isoformat(),
            "label": template.label,
            "template": template.id,
            "kind": template.kind,
            "election": election.id,
        }
        if template.shared_from:
            row["shared_from"] = ctx.render(template.shared_from)
        rows.append(row)
    return rows


def build() -> tuple[dict[str, list[dict[str, Any]]], list[Template], dict[str, str]]:
    elections = load_registries(HERE / "registries")
    templates = load_templates(HERE / "templates")
    split_of = assign_splits(templates)
    used_ids: set[tuple[str, str]] = set()
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    seen_text: dict[str, str] = {}
    problems = []
    for template in sorted(templates, key=lambda t: t.id):
        rows = render_template(template, elections, used_ids)
        if len({r["election"] for r in rows}) < MIN_ELECTIONS_PER_TEMPLATE:
            problems.append(f"{template.id}: fewer than {MIN_ELECTIONS_PER_TEMPLATE} elections")
        for row in rows:
            if "{" in row["text"] or "}" in row["text"]:
                problems.append(f"{template.id}: unrendered placeholder in {row['text']!r}")
            key = " ".join(row["text"].casefold().split())
            owner = seen_text.get(key)
            if owner is not None and split_of[owner] != split_of[template.id]:
                problems.append(f"{template.id}: same text as {owner} in another split")
            seen_text.setdefault(key, template.id)
        out[split_of[template.id]].extend(rows)
    if problems:
        sys.exit("build problems:\n  " + "\n  ".join(problems))
    for split in SPLITS:
        out[split].sort(key=lambda r: (r["created_at"], r["platform"], r["id"]))
    return out, templates, split_of


def serialise(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def report(
    out: dict[str, list[dict[str, Any]]], templates: list[Template], split_of: dict[str, str]
) -> str:
    tcount: Counter[tuple[str, str]] = Counter((t.label, split_of[t.id]) for t in templates)
    rcount: Counter[tuple[str, str]] = Counter(
        (r["label"], split) for split, rows in out.items() for r in rows
    )
    lines = [
        "| label | train | valid | test | total | templates (train/valid/test) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label in LABELS:
        cells = [rcount[(label, s)] for s in SPLITS]
        tcells = "/".join(str(tcount[(label, s)]) for s in SPLITS)
        lines.append(f"| {label} | {' | '.join(map(str, cells))} | {sum(cells)} | {tcells} |")
    totals = [len(out[s]) for s in SPLITS]
    ttotal = "/".join(str(sum(tcount[(lab, s)] for lab in LABELS)) for s in SPLITS)
    lines.append(f"| **total** | {' | '.join(map(str, totals))} | {sum(totals)} | {ttotal} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the written files")
    args = parser.parse_args()
    out, templates, split_of = build()
    stale = []
    for split in SPLITS:
        path = HERE / f"{split}.jsonl"
        data = serialise(out[split]).encode("utf-8")
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.write_bytes(data)
    print(f"{len(templates)} templates, {sum(len(r) for r in out.values())} rows")
    print(report(out, templates, split_of))
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
