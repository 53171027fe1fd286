"""monitor.detect.normalize: social-media text cut into tokens, each normalised (Unicode,
case, slang, repeated letters, leetspeak, numbers, emoji names), with offsets back to the
text as written."""

from __future__ import annotations

import pytest

from monitor.detect import normalize as normalize_module
from monitor.detect.normalize import Kind, normalize, normalize_term, normalize_word


def normalised(text: str) -> str:
    return normalize(text).text


def table(*rows: tuple[str, str, str]) -> list[object]:
    return [pytest.param(text, expected, id=name) for name, text, expected in rows]


# -- what the text becomes ---------------------------------------------------------------

UNICODE_AND_CASE = table(
    ("case", "Ayo DUKUNG Paslon", "ayo dukung paslon"),
    ("casefold-not-lower", "Straße", "strasse"),
    ("full-width-letters", "ＤＵＫＵＮＧ　ｐａｓｌｏｎ", "dukung paslon"),
    ("full-width-digits", "Ｎｏ．２", "nomor 2"),
    ("ligature", "ﬁnal", "final"),
    ("superscript", "x²", "x2"),
    ("precomposed-accent", "Café", "café"),
    ("combining-accent-composes", "Cafe\u0301", "café"),
    ("punctuation-dropped", "(tegak lurus!!!)", "tegak lurus"),
    ("whitespace-collapsed", "  ayo \t\n dukung\u00a0paslon ", "ayo dukung paslon"),
    ("zero-width-space-splits-words", "dukung\u200bpaslon", "dukung paslon"),
    ("soft-hyphen-does-not-split", "du\u00adkung", "dukung"),
    ("zero-width-joiner-does-not-split", "du\u200dkung", "dukung"),
    ("hyphen-splits", "hari-hari", "hari hari"),
    ("apostrophe-kept", "Jum’at", "jum'at"),
    ("hashtag-folded", "#HeStiMenang", "#hestimenang"),
    ("full-width-hashtag", "#ＨｅＳｔｉ", "#hesti"),
    ("mention-folded", "@Relawan.Hesti.", "@relawan.hesti"),
    (
        "url-kept-whole",
        "https://x.com/Relawan.Hesti/status/1",
        "https://x.com/relawan.hesti/status/1",
    ),
    ("empty", "", ""),
    ("only-punctuation", " ... !!! ", ""),
)

SLANG = table(
    ("yg", "yg", "yang"),
    ("gk", "gk", "tidak"),
    ("javanese", "Ojo lali", "jangan lupa"),
    ("several-words", "ogah", "tidak mau"),
    ("after-repeats", "bgtttt", "banget"),
    ("after-case", "YG", "yang"),
    ("not-inside-words", "yges", "yges"),
    ("no-is-not-slang", "no", "no"),
)

REPEATED_LETTERS = table(
    ("three-collapse", "mantaaap", "mantap"),
    ("many-collapse", "dukuuuuuung", "dukung"),
    ("capitals", "HALOOO", "halo"),
    ("two-kept", "saat", "saat"),
    ("digits-kept", "1000", "1000"),
    ("then-slang", "kuuuy", "yuk"),
)

LEETSPEAK = table(
    ("pilih", "p1l1h", "pilih"),
    ("coblos", "c0bl0s", "coblos"),
    ("mantap", "m4nt4p", "mantap"),
    ("seven", "se7en", "seten"),
    ("one-letter-is-not-leet", "b3", "b3"),
    ("money-amount", "100rb", "100 ribu"),
    ("money-thousands-k", "50K", "50 ribu"),
    ("money-millions", "5jt", "5 juta"),
    ("year-suffix", "Pilkada2024", "pilkada2024"),
    ("trailing-number", "covid19", "covid19"),
)

NUMBERS = table(
    ("satu", "satu", "1"),
    ("dua", "dua", "2"),
    ("tiga", "Tiga", "3"),
    ("sepuluh", "sepuluh", "10"),
    ("nol", "nol", "0"),
    ("kosong-is-a-word", "kotak kosong", "kotak kosong"),
    ("leading-zero", "02", "2"),
    ("leading-zeros", "007", "7"),
    ("zero", "0", "0"),
    ("year-kept", "2024", "2024"),
    ("phrase", "dua periode", "2 periode"),
    ("keycap", "3️⃣", "3"),
)

NOMOR = table(
    ("no", "no 2", "nomor 2"),
    ("no-dot", "No. 02", "nomor 2"),
    ("no-dot-glued", "no.2", "nomor 2"),
    ("nmr", "nmr 3", "nomor 3"),
    ("nomer", "nomer 1", "nomor 1"),
    ("capitals", "NO 2", "nomor 2"),
    ("before-urut", "No. urut 02", "nomor urut 2"),
    ("before-number-word", "no dua", "nomor 2"),
    ("glued", "no2", "nomor 2"),
    ("glued-nmr", "NMR03", "nomor 3"),
    ("glued-paslon", "paslon01", "paslon 1"),
    ("phrase", "Ojo lali coblos no. 02", "jangan lupa coblos nomor 2"),
    ("no-alone", "no", "no"),
    ("no-before-word", "no way", "no way"),
    ("no-urut-without-number", "no urut", "no urut"),
    ("nomor-kept", "nomor 3", "nomor 3"),
)

REDUPLICATION = table(
    ("anak2", "anak2", "anak anak"),
    ("kawan2", "Kawan2", "kawan kawan"),
    ("with-slang", "tmn2", "teman teman"),
    ("short-base-kept", "yg2", "yg2"),
    ("suffix-kept", "teman2ku", "teman2ku"),
)

EMOJI = table(
    ("name", "💰", ":money_bag:"),
    ("variation-selector", "✌️", ":victory_hand:"),
    ("without-selector", "✌", ":victory_hand:"),
    ("skin-tone", "✌🏿", ":victory_hand:"),
    ("skin-tone-thumbs", "👍🏽", ":thumbs_up:"),
    ("pointing", "☝🏻", ":index_pointing_up:"),
    ("run-split", "👍👍🏼", ":thumbs_up: :thumbs_up:"),
    ("glued-to-words", "dukung👍paslon", "dukung :thumbs_up: paslon"),
    ("flag", "🇮🇩", ":Indonesia:"),
    ("zwj-sequence-is-one", "👨\u200d👩\u200d👧", ":family_man_woman_girl:"),
    ("skin-tone-on-emoji-without-tones", "🐀🏻", ":rat:"),
    ("lone-skin-tone", "a 🏻 b", "a b"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    UNICODE_AND_CASE
    + SLANG
    + REPEATED_LETTERS
    + LEETSPEAK
    + NUMBERS
    + NOMOR
    + REDUPLICATION
    + EMOJI,
)
def test_normalised_text(text: str, expected: str) -> None:
    norm = normalize(text)
    assert norm.text == expected
    assert norm.original == text
    assert normalize_term(text) == expected  # rule terms go through the same function


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param("ayo 02", [Kind.WORD, Kind.NUMBER], id="word-number"),
        pytest.param("no2", [Kind.WORD, Kind.NUMBER], id="glued-number"),
        pytest.param("#Coblos3 @budi", [Kind.HASHTAG, Kind.MENTION], id="hashtag-mention"),
        pytest.param("lihat www.kpu.go.id", [Kind.WORD, Kind.URL], id="url"),
        pytest.param("http://a.id/x?y=1", [Kind.URL], id="url-with-query"),
        pytest.param("dua ✌🏽", [Kind.NUMBER, Kind.EMOJI], id="number-word-emoji"),
    ],
)
def test_token_kinds(text: str, kinds: list[Kind]) -> None:
    assert [t.kind for t in normalize(text).tokens] == kinds


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        pytest.param("✌️", "✌", id="selector-removed"),
        pytest.param("✌🏿", "✌", id="skin-tone-removed"),
        pytest.param("👍🏻", "👍", id="light-skin"),
        pytest.param("💸", "💸", id="plain"),
    ],
)
def test_emoji_symbol_is_the_base_emoji(text: str, symbol: str) -> None:
    [token] = normalize(text).tokens
    assert (token.kind, token.symbol) == (Kind.EMOJI, symbol)
    assert (token.start, token.end) == (0, len(text))


def test_normalize_word_is_cached_and_pure() -> None:
    assert normalize_word("ANAK2") == ("anak", "anak")
    assert normalize_word("ANAK2") is normalize_word("ANAK2")


# -- offsets back to the text as written --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        pytest.param("Ayo  DUKUNG!", ["Ayo", "DUKUNG"], id="words"),
        pytest.param(
            "ＤＵＫＵＮＧ　ｐａｓｌｏｎ", ["ＤＵＫＵＮＧ", "ｐａｓｌｏｎ"], id="full-width"
        ),
        pytest.param("mantaaap p1l1h", ["mantaaap", "p1l1h"], id="repeats-leet"),
        pytest.param("anak2 no2", ["anak2", "anak2", "no2", "no2"], id="one-word-two-tokens"),
        pytest.param("ogah", ["ogah", "ogah"], id="slang-two-words"),
        pytest.param("No. urut 02", ["No", "urut", "02"], id="nomor"),
        pytest.param("Cafe\u0301 ok", ["Cafe\u0301", "ok"], id="combining-mark-in-token"),
        pytest.param("du\u00adkung", ["du\u00adkung"], id="soft-hyphen-in-token"),
        pytest.param("a\u200bb", ["a", "b"], id="zero-width-space"),
        pytest.param("✌🏿👍🏽 ok", ["✌🏿", "👍🏽", "ok"], id="emoji-with-skin-tones"),
        pytest.param("☝️DAMAI", ["☝️", "DAMAI"], id="emoji-glued"),
        pytest.param("🐀🏻🐀", ["🐀🏻", "🐀"], id="skin-tone-stays-with-its-emoji"),
        pytest.param("#HeSti @x.y https://t.co/a", ["#HeSti", "@x.y", "https://t.co/a"], id="tags"),
        pytest.param("🎉 ﬁnal\n", ["🎉", "ﬁnal"], id="ligature"),
    ],
)
def test_token_offsets_point_at_the_original(text: str, written: list[str]) -> None:
    norm = normalize(text)
    assert [text[t.start : t.end] for t in norm.tokens] == written
    starts = [t.start for t in norm.tokens]
    assert starts == sorted(starts)
    # ``starts`` index the normalised text, token by token
    for token, start in zip(norm.tokens, norm.starts, strict=True):
        assert norm.text[start : start + len(token.text)] == token.text


@pytest.mark.parametrize(
    ("text", "words", "written"),
    [
        pytest.param("Ayo DUKUNG paslon", "dukung", "DUKUNG", id="case"),
        pytest.param(
            "yuk ＤＵＫＵＮＧ　ｐａｓｌｏｎ!",
            "dukung paslon",
            "ＤＵＫＵＮＧ　ｐａｓｌｏｎ",
            id="full-width",
        ),
        pytest.param("Ojo lali coblos no. 02!", "coblos nomor 2", "coblos no. 02", id="nomor"),
        pytest.param("Ojo lali ya", "jangan lupa", "Ojo lali", id="slang"),
        pytest.param("ogah", "mau", "ogah", id="second-word-of-slang"),
        pytest.param("pilih no2 ya", "2", "no2", id="inside-glued"),
        pytest.param("anak2 kita", "anak anak kita", "anak2 kita", id="reduplication"),
        pytest.param("ayo \n\t dukung", "ayo dukung", "ayo \n\t dukung", id="whitespace"),
        pytest.param("dukung 👍🏽 paslon", ":thumbs_up: paslon", "👍🏽 paslon", id="emoji"),
        pytest.param("kita m4nt4ppp", "mantap", "m4nt4ppp", id="leet-and-repeats"),
        pytest.param("kita menang", "men", "menang", id="part-of-a-token-is-the-token"),
    ],
)
def test_span_maps_normalised_ranges_to_the_words_as_written(
    text: str, words: str, written: str
) -> None:
    norm = normalize(text)
    start = norm.text.index(words)
    begin, end = norm.span(start, start + len(words))
    assert text[begin:end] == written


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        pytest.param("ayo dukung", 0, 3, True, id="first-word"),
        pytest.param("ayo dukung", 4, 10, True, id="last-word"),
        pytest.param("ayo dukung", 0, 10, True, id="phrase"),
        pytest.param("ayo dukung", 5, 10, False, id="starts-inside"),
        pytest.param("ayo dukung", 4, 7, False, id="ends-inside"),
    ],
)
def test_at_boundaries(text: str, start: int, end: int, expected: bool) -> None:
    norm = normalize(text)
    assert norm.at_boundaries(start, end) is expected


def test_prefix_boundary_only_needs_a_token_start() -> None:
    norm = normalize("kemenangan menanglah")
    assert norm.at_boundaries(11, 17, prefix=True)  # "menang" of "menanglah"
    assert not norm.at_boundaries(2, 8, prefix=True)  # "menang" inside "kemenangan"


def test_token_index_and_token_span() -> None:
    norm = normalize("Ayo  coblos no. 02")
    assert norm.text == "ayo coblos nomor 2"
    assert [norm.token_index(i) for i in (0, 3, 4, 11, 17)] == [0, 0, 1, 2, 3]
    assert norm.token_span(1, 3) == (5, 18)
    assert norm.original[5:18] == "coblos no. 02"


def test_the_token_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every post brings new tokens (numbers, links, typos): the caches must not grow with
    the number of posts a long-running service has seen."""
    monkeypatch.setattr(normalize_module, "_ENTRIES_MAX", 100)
    for i in range(1000):
        normalize(f"rapat {i} kantor{i} #agenda{i}")
    assert len(normalize_module._ENTRIES) <= 101
    assert (normalize_word.cache_info().maxsize or 0) <= 10_000
    # and the words still come out right after the cache was cleared
    assert normalize("Ayooo coblos no.2").words == ["ayo", "coblos", "nomor", "2"]
