"""Candidate masking: references become markers, everything else stays as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import monitor.rules
from monitor.detect.masking import MARKERS, CandidateMasker, merge_pieces
from monitor.rules.registry import Registry, load_registry

SUKAMAJU = Path(monitor.rules.__file__).parent / "data" / "example-registry.yaml"


@pytest.fixture(scope="module")
def masker() -> CandidateMasker:
    return CandidateMasker(load_registry([SUKAMAJU]))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # full names, honorific + name, nicknames
        ("Ayo dukung Hendra Wijaya dan Siti Rahmawati", "Ayo dukung [PASLON] dan [PASLON]"),
        ("Pak Darmaji Santosa pasti menang", "[PASLON] pasti menang"),
        ("Bu Ratna hebat", "[PASLON] hebat"),
        ("Semangat FaRa!", "Semangat [PASLON]!"),
        ("petahana kerja nyata", "[PASLON] kerja nyata"),
        # ballot numbers: only the number, the verb stays
        ("coblos 02 ya", "coblos [NOMOR] ya"),
        ("pilih nomor urut 3", "pilih nomor urut [NOMOR]"),
        ("salam dua jari", "salam [NOMOR] jari"),
        ("no2 mantap", "[NOMOR] mantap"),
        # taglines and hashtags
        ("Saatnya Berubah, warga!", "[SLOGAN], warga!"),
        ("Tiga Jari untuk Perubahan! #Coblos3", "[SLOGAN]! [TAGAR_PASLON]"),
        ("Keren #HeStiMenang", "Keren [TAGAR_PASLON]"),
        # a name glued inside another hashtag: only the name
        ("#TolakDarmaji #AsalBukanHeSti", "#Tolak[PASLON] #AsalBukan[PASLON]"),
        # accounts
        ("follow @relawan.hesti dan @hesti.official", "follow [AKUN_PEMENANGAN] dan [AKUN_PASLON]"),
        # a gesture stays; an everyday word in lower case is no nickname
        ("Tegak lurus nomor 2 ✌️ DAMAI", "Tegak lurus nomor [NOMOR] ✌️ [PASLON]"),
        ("Pilkada damai ya ✌️", "Pilkada damai ya ✌️"),
        ("Lanjutkan!", "Lanjutkan!"),
        ("Selamat pagi semua", "Selamat pagi semua"),
    ],
)
def test_mask(masker: CandidateMasker, text: str, masked: str) -> None:
    assert masker.mask(text) == masked


@pytest.mark.parametrize(
    ("shared_from", "suffix"),
    [
        ("https://x.com/relawan.hesti/status/1", " [DIBAGIKAN_DARI_PEMENANGAN]"),
        ("@timpemenangan.damai", " [DIBAGIKAN_DARI_PEMENANGAN]"),
        ("@damai.sukamaju", " [DIBAGIKAN_DARI_PASLON]"),
        ("@kompas", ""),
        (None, ""),
    ],
)
def test_shared_from(masker: CandidateMasker, shared_from: str | None, suffix: str) -> None:
    assert masker.mask("Keren", shared_from=shared_from) == "Keren" + suffix


def test_empty_registry_leaves_text_unchanged() -> None:
    text = "Ayo dukung Hendra Wijaya, coblos 1 #HeStiMenang"
    assert CandidateMasker(Registry.empty()).mask(text, shared_from="@relawan.hesti") == text


def test_region_picks_the_elections(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    text = SUKAMAJU.read_text(encoding="utf-8")
    other.write_text(
        text.replace("pilbup-sukamaju-2024", "pilbup-lain-2024")
        .replace("Kabupaten Sukamaju", "Kabupaten Lain")
        .replace("Hendra Wijaya", "Joko Lelono"),
        encoding="utf-8",
    )
    shutil.copy(SUKAMAJU, tmp_path / "sukamaju.yaml")
    masker = CandidateMasker(load_registry([tmp_path]))
    post = "Dukung Joko Lelono dan Hendra Wijaya"
    assert masker.mask(post) == "Dukung [PASLON] dan [PASLON]"
    assert masker.mask(post, region="Kabupaten Sukamaju") == "Dukung Joko Lelono dan [PASLON]"
    assert masker.mask(post, region="Kabupaten Lain") == "Dukung [PASLON] dan Hendra Wijaya"


@pytest.mark.parametrize(
    ("pieces", "merged"),
    [
        ([], []),
        ([(0, 5, "[PASLON]"), (6, 9, "[NOMOR]")], [(0, 5, "[PASLON]"), (6, 9, "[NOMOR]")]),
        # overlapping: one span, the longest piece's marker
        ([(0, 11, "[PASLON]"), (4, 20, "[SLOGAN]")], [(0, 20, "[SLOGAN]")]),
        # same length: the priority (hashtag before name)
        ([(3, 9, "[PASLON]"), (3, 9, "[TAGAR_PASLON]")], [(3, 9, "[TAGAR_PASLON]")]),
        # touching is not overlapping
        ([(0, 4, "[PASLON]"), (4, 8, "[NOMOR]")], [(0, 4, "[PASLON]"), (4, 8, "[NOMOR]")]),
    ],
)
def test_merge_pieces(
    pieces: list[tuple[int, int, str]], merged: list[tuple[int, int, str]]
) -> None:
    assert merge_pieces(pieces) == merged


def test_markers_are_distinct_bracketed_words() -> None:
    assert len(set(MARKERS)) == len(MARKERS)
    assert all(m.startswith("[") and m.endswith("]") and m.isupper() for m in MARKERS)
