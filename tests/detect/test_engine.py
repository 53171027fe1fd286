"""monitor.detect.engine: rule expressions evaluated on normalised posts.

Terms are whole tokens (``*`` at the end: a word prefix), phrases match across
normalisation, regexes run in RE2, hashtags and emoji match by tag and by class, candidate
references come from the registry (gestures only next to another reference, ALL-CAPS
nicknames only in capitals, accounts also inside shared URLs), exceptions silence rules,
spans point at the text as written, and the trigger prefilter never changes a result."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from monitor.detect.engine import WEAK_WINDOW, Engine, Evaluation, emoji_classes
from monitor.detect.normalize import normalize
from monitor.detect.rules_detector import RuleDetector, candidate_terms
from monitor.detect.scan import Scan
from monitor.domain import Post, Span
from monitor.rules.check import example_registry
from monitor.rules.loader import load_rules
from monitor.rules.registry import Registry, load_registry
from monitor.rules.schema import Exception_, Rule

REGISTRY = example_registry()  # Kabupaten Sukamaju: 1 HeSti, 2 DAMAI (incumbent), 3 FaRa
CANDIDATES = candidate_terms(REGISTRY)
X_STATUS = "https://x.com/{}/status/1790012345678901234"


def rule(match: dict[str, Any], rule_id: str = "r", **extra: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "title": f"Judul {rule_id}",
            "category": extra.pop("category", "support"),
            "severity": extra.pop("severity", "high"),
            "legal_basis": ["dasar"],
            "match": match,
            **extra,
        }
    )


def exception(exc_id: str, match: dict[str, Any], **extra: Any) -> Exception_:
    return Exception_.model_validate(
        {"id": exc_id, "title": f"Judul {exc_id}", "match": match, **extra}
    )


def written(evaluation: Evaluation, text: str, rule_id: str = "r") -> list[str] | None:
    """The words, as written in ``text``, that fired ``rule_id``; None when it did not fire."""
    fired = [f for f in evaluation.fired if f.rule.id == rule_id]
    if not fired:
        return None
    [one] = fired
    return [text[start:end] for start, end in evaluation.spans(one.hits)]


def words(match: dict[str, Any], text: str, *, shared_from: str | None = None) -> list[str] | None:
    engine = Engine([rule(match)], (), CANDIDATES)
    return written(engine.match(text, shared_from=shared_from), text)


def table(*rows: tuple[str, dict[str, Any], str, list[str] | None]) -> list[Any]:
    return [pytest.param(match, text, expected, id=name) for name, match, text, expected in rows]


# -- terms ---------------------------------------------------------------------------------

TERMS = table(
    ("word", {"any": ["pilih"]}, "ayo pilih dia", ["pilih"]),
    ("not-inside-a-word", {"any": ["pilih"]}, "aku memilih dia", None),
    ("not-a-prefix-of-a-word", {"any": ["pilih"]}, "pilihan kita", None),
    ("not-across-underscore", {"any": ["pilih"]}, "pilih_nomor", None),
    ("punctuation-bounds", {"any": ["pilih"]}, "(pilih), ya!", ["pilih"]),
    ("every-occurrence", {"any": ["pilih"]}, "pilih, PILIH!", ["pilih", "PILIH"]),
    ("case-and-width", {"any": ["dukung"]}, "ＤＵＫＵＮＧ!", ["ＤＵＫＵＮＧ"]),
    ("term-is-normalised", {"any": ["  Ayo   DUKUNG "]}, "ayo dukung", ["ayo dukung"]),
    ("repeated-letters", {"any": ["dukung"]}, "dukuuuung", ["dukuuuung"]),
    ("leetspeak", {"any": ["pilih"]}, "p1l1h dia", ["p1l1h"]),
    ("slang-in-text", {"any": ["tidak netral"]}, "ASN gk netral", ["gk netral"]),
    ("slang-in-term", {"any": ["yg penting"]}, "yang penting menang", ["yang penting"]),
    ("reduplication", {"any": ["teman teman"]}, "ayo tmn2!", ["tmn2"]),
    ("number-word", {"any": ["2 periode"]}, "Dua Periode!", ["Dua Periode"]),
    (
        "phrase-across-nomor",
        {"any": ["coblos nomor 2"]},
        "Ojo lali coblos no. 02",
        ["coblos no. 02"],
    ),
    ("glued-nomor", {"any": ["coblos nomor 2"]}, "coblos no2!", ["coblos no2"]),
    ("phrase-not-partial", {"any": ["coblos nomor 2"]}, "coblos nomor 23", None),
    ("phrase-needs-order", {"any": ["ayo dukung"]}, "dukung ayo", None),
    ("phrase-across-lines", {"any": ["ayo dukung"]}, "🎉 ayo\n  dukung 🎉", ["ayo\n  dukung"]),
    (
        "zero-width-space-separates",
        {"any": ["dukung paslon"]},
        "dukung\u200bpaslon",
        ["dukung\u200bpaslon"],
    ),
    ("soft-hyphen-hides-nothing", {"any": ["dukung"]}, "du\u00adkung", ["du\u00adkung"]),
    ("prefix-whole-word", {"any": ["menang*"]}, "menang!", ["menang"]),
    ("prefix-longer-word", {"any": ["menang*"]}, "menanglah", ["menanglah"]),
    ("prefix-not-inside", {"any": ["menang*"]}, "kemenangan", None),
    ("prefix-phrase", {"any": ["tim menang*"]}, "Tim Menangkan!", ["Tim Menangkan"]),
    ("exact-is-not-prefix", {"any": ["menang"]}, "menanglah", None),
    ("emoji-term", {"any": ["✌️ dukung"]}, "✌🏽 dukung", ["✌🏽 dukung"]),
)


@pytest.mark.parametrize(("match", "text", "expected"), TERMS)
def test_terms(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text) == expected


# -- any / all / none / unless / nesting -----------------------------------------------------

LOGIC = table(
    ("any-first", {"any": ["dukung", "pilih"]}, "ayo dukung", ["dukung"]),
    ("any-every-hit", {"any": ["dukung", "pilih"]}, "pilih dan dukung", ["pilih", "dukung"]),
    ("any-none-present", {"any": ["dukung", "pilih"]}, "tidak ada", None),
    ("all", {"all": ["paslon", "sebarkan"]}, "Sebarkan video paslon", ["Sebarkan", "paslon"]),
    ("all-needs-every", {"all": ["paslon", "sebarkan"]}, "video paslon", None),
    (
        "all-and-any",
        {"all": ["paslon"], "any": ["share", "bagikan"]},
        "paslon, bagikan!",
        ["paslon", "bagikan"],
    ),
    ("all-and-any-missing-any", {"all": ["paslon"], "any": ["share"]}, "paslon kita", None),
    ("none-excludes", {"any": ["dukung"], "none": ["netral"]}, "dukung, tetap netral!", None),
    ("none-whole-words", {"any": ["dukung"], "none": ["netral"]}, "dukung netralitas", ["dukung"]),
    (
        "none-phrase-normalised",
        {"any": ["dukung"], "none": ["jangan golput"]},
        "dukung, JGN golput",
        None,
    ),
    ("none-absent", {"any": ["dukung"], "none": ["netral"]}, "dukung paslon", ["dukung"]),
    (
        "none-beats-all-and-any",
        {"all": ["paslon"], "any": ["share"], "none": ["kpu"]},
        "share info paslon dari KPU",
        None,
    ),
    (
        "nested-all-in-any",
        {"any": [{"all": ["coblos", "hendra"]}, "menangkan"]},
        "coblos pak Hendra",
        ["coblos", "Hendra"],
    ),
    (
        "nested-all-in-any-half",
        {"any": [{"all": ["coblos", "hendra"]}, "menangkan"]},
        "coblos",
        None,
    ),
    (
        "nested-none-in-all",
        {"all": ["dukung", {"any": ["paslon"], "none": ["bukan"]}]},
        "dukung paslon",
        ["dukung", "paslon"],
    ),
    (
        "nested-none-blocks",
        {"all": ["dukung", {"any": ["paslon"], "none": ["bukan"]}]},
        "dukung bukan paslon",
        None,
    ),
)


@pytest.mark.parametrize(("match", "text", "expected"), LOGIC)
def test_any_all_none(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text) == expected


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        pytest.param("ayo dukung paslon", True, id="fires"),
        pytest.param("ayo dukung, jangan golput", False, id="unless-holds"),
        pytest.param("ayo dukung, jgn golput", False, id="unless-normalised"),
        pytest.param("jangan golput", False, id="match-does-not-hold"),
    ],
)
def test_unless(text: str, fires: bool) -> None:
    engine = Engine([rule({"any": ["dukung"]}, unless={"any": ["jangan golput"]})])
    evaluation = engine.match(text)
    assert bool(evaluation.fired) is fires
    assert evaluation.suppressed == []  # unless is the rule's own condition, not an exception


# -- near ---------------------------------------------------------------------------------

NEAR = table(
    (
        "adjacent",
        {"near": {"within": 1, "all": ["coblos", "hendra"]}},
        "coblos Hendra",
        ["coblos", "Hendra"],
    ),
    (
        "within",
        {"near": {"within": 3, "all": ["coblos", "hendra"]}},
        "coblos saja pak hendra",
        ["coblos", "hendra"],
    ),
    (
        "too-far",
        {"near": {"within": 2, "all": ["coblos", "hendra"]}},
        "coblos saja pak hendra",
        None,
    ),
    (
        "either-order",
        {"near": {"within": 3, "all": ["coblos", "hendra"]}},
        "Hendra, ya coblos!",
        ["Hendra", "coblos"],
    ),
    (
        "default-within-5",
        {"near": {"all": ["coblos", "hendra"]}},
        "coblos a b c d hendra",
        ["coblos", "hendra"],
    ),
    (
        "default-within-5-too-far",
        {"near": {"all": ["coblos", "hendra"]}},
        "coblos a b c d e hendra",
        None,
    ),
    (
        "closest-pair-chosen",
        {"near": {"within": 2, "all": ["coblos", "hendra"]}},
        "coblos a b c d e f hendra coblos",
        ["hendra", "coblos"],
    ),
    (
        "phrase-item",
        {"near": {"within": 2, "all": ["coblos", "hendra wijaya"]}},
        "coblos Hendra Wijaya",
        ["coblos", "Hendra Wijaya"],
    ),
    (
        "three-items",
        {"near": {"within": 4, "all": ["ayo", "coblos", "hendra"]}},
        "ayo kita coblos pak hendra",
        ["ayo", "coblos", "hendra"],
    ),
    (
        "one-item-missing",
        {"near": {"within": 4, "all": ["ayo", "coblos", "hendra"]}},
        "ayo kita coblos",
        None,
    ),
    (
        "nested-any",
        {"near": {"within": 2, "all": [{"any": ["coblos", "pilih"]}, {"candidate": 1}]}},
        "pilih HeSti",
        ["pilih", "HeSti"],
    ),
    (
        "shared-from-is-not-near",
        {"near": {"within": 2, "all": ["lihat", {"candidate": 1}]}},
        "lihat ini",
        None,
    ),
    (
        "with-other-keys",
        {"near": {"within": 1, "all": ["coblos", "hendra"]}, "none": ["netral"]},
        "coblos hendra, eh netral",
        None,
    ),
)


@pytest.mark.parametrize(("match", "text", "expected"), NEAR)
def test_near(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text, shared_from="@relawan.hesti") == expected


@pytest.mark.parametrize(
    ("items", "text"),
    [
        pytest.param(["coblos", "hendra"], "coblos " * 40 + "hendra", id="after-many"),
        pytest.param(["coblos", "hendra"], "hendra ya " * 30 + "coblos", id="anchor-last"),
        pytest.param(
            ["ayo", "coblos", "hendra"],
            "ayo coblos ya " * 30 + "ayo coblos hendra",
            id="three-items",
        ),
    ],
)
def test_near_finds_the_words_after_many_repetitions(items: list[str], text: str) -> None:
    evaluation = Engine([rule({"near": {"within": 2, "all": items}})]).match(text)
    [fired] = evaluation.fired
    spans = evaluation.spans(fired.hits)
    assert spans[-1][1] == len(text)  # the repetitions at the end, not the first ones
    assert sorted(text[a:b] for a, b in spans) == sorted(items)


def test_near_on_a_long_post_returns_promptly() -> None:
    engine = Engine([rule({"near": {"within": 50, "all": ["coblos", "hendra", "ayo"]}})])
    started = time.perf_counter()
    evaluation = engine.match("coblos hendra ayo " * 2000)
    assert time.perf_counter() - started < 2.0
    assert evaluation.fired


# -- regex (RE2, on the normalised text) -----------------------------------------------------

REGEX = table(
    (
        "matches-normalised",
        {"regex": r"coblos nomor [0-9]+"},
        "Coblos No. 02 ya",
        ["Coblos No. 02"],
    ),
    ("list-any", {"regex": ["zzz", r"\bdukung\b"]}, "ayo dukung", ["dukung"]),
    ("no-match", {"regex": r"coblos nomor [0-9]+"}, "coblos saja", None),
    ("sees-lower-case", {"regex": "DAMAI"}, "DAMAI", None),
    ("anchored", {"regex": "^ayo"}, "Ayo dukung", ["Ayo"]),
    ("anchored-not-later", {"regex": "^dukung"}, "ayo dukung", None),
    ("part-of-token-marks-the-token", {"regex": "menang"}, "kemenangan kita", ["kemenangan"]),
    ("with-terms", {"regex": r"nomor \d", "any": ["coblos"]}, "coblos no 3", ["coblos", "no 3"]),
    (
        "money-amount",
        {"regex": r"\b[0-9]+ (ribu|juta)\b", "any": ["amplop"]},
        "amplop 100rb",
        ["amplop", "100rb"],
    ),
)


@pytest.mark.parametrize(("match", "text", "expected"), REGEX)
def test_regex(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text) == expected


@pytest.mark.parametrize(
    ("pattern", "text", "fires"),
    [
        pytest.param(r"(a+)+$", "a" * 5000 + "b", False, id="letters"),
        pytest.param(r"(1+)+$", "1" * 5000 + "x", False, id="digits-survive-normalisation"),
        pytest.param(r"(1+)+x$", "1" * 5000 + "x", True, id="digits-match"),
        pytest.param(r"(\w+\s?)+$", "ab " * 3000 + "!", True, id="words"),
        pytest.param(r"(x+x+)+y", "x" * 5000, False, id="nested-quantifiers"),
    ],
)
def test_catastrophic_regex_returns_promptly(pattern: str, text: str, fires: bool) -> None:
    # Python's re backtracks exponentially on each of these; RE2 is linear.
    engine = Engine([rule({"regex": pattern})])
    started = time.perf_counter()
    evaluation = engine.match(text)
    assert time.perf_counter() - started < 1.0
    assert bool(evaluation.fired) is fires


def test_long_inputs_reach_the_regex_unshortened() -> None:
    assert len(normalize("1" * 5000 + "x").text) == 5001
    assert len(normalize("ab " * 3000).text) == 3 * 3000 - 1


# -- hashtags and emoji ---------------------------------------------------------------------

HASHTAGS = table(
    ("exact", {"hashtags": ["#TemanPemilih"]}, "info #temanpemilih", ["#temanpemilih"]),
    ("exact-any-case", {"hashtags": ["#hestimenang"]}, "#HeStiMenang!", ["#HeStiMenang"]),
    ("exact-not-prefix", {"hashtags": ["#hesti"]}, "#HeStiMenang", None),
    ("prefix", {"hashtags": ["#hesti*"]}, "#HeStiMenang #HeSti", ["#HeStiMenang", "#HeSti"]),
    ("prefix-not-inside", {"hashtags": ["#menang*"]}, "#HeStiMenang", None),
    ("rule-folded-like-posts", {"hashtags": ["#ＨｅＳｔｉ*"]}, "#HeStiMenang", ["#HeStiMenang"]),
    ("word-is-not-a-hashtag", {"hashtags": ["#hestimenang"]}, "hestimenang", None),
    ("mention-is-not-a-hashtag", {"hashtags": ["#hesti*"]}, "@hesti.official", None),
    ("several", {"hashtags": ["#coblos*", "#asalbukan*"]}, "#AsalBukanDAMAI", ["#AsalBukanDAMAI"]),
    ("inside-url-is-not-a-hashtag", {"hashtags": ["#coblos3"]}, "https://a.id/x#coblos3", None),
)


@pytest.mark.parametrize(("match", "text", "expected"), HASHTAGS)
def test_hashtags(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text) == expected


EMOJI = table(
    ("class-gesture", {"emoji": ["gesture_number"]}, "salam ✌️", ["✌️"]),
    ("class-without-selector", {"emoji": ["gesture_number"]}, "salam ✌", ["✌"]),
    ("class-skin-tone", {"emoji": ["gesture_number"]}, "salam ✌🏿 dan ☝🏻", ["✌🏿", "☝🏻"]),
    ("class-other-gesture", {"emoji": ["gesture_number"]}, "mantap 👍", None),
    ("class-allowed-is-not-number", {"emoji": ["gesture_number"]}, "semangat ✊", None),
    ("class-money", {"emoji": ["money"]}, "ada 💰💸 buat kamu", ["💰💸"]),
    ("class-money-envelope", {"emoji": ["money"]}, "amplop ✉", ["✉"]),
    ("class-money-absent", {"emoji": ["money"]}, "ada 🎉", None),
    ("literal", {"emoji": ["👍"]}, "oke 👍", ["👍"]),
    ("literal-skin-tone-in-post", {"emoji": ["👍"]}, "oke 👍🏿", ["👍🏿"]),
    ("literal-skin-tone-in-rule", {"emoji": ["👍🏽"]}, "oke 👍", ["👍"]),
    ("literal-other-emoji", {"emoji": ["👍"]}, "oke 👎", None),
    ("class-and-literal", {"emoji": ["money", "🤝"]}, "🤝🏾 💵", ["🤝🏾", "💵"]),
    ("with-terms", {"emoji": ["money"], "any": ["pilih"]}, "pilih dia 💰", ["pilih", "💰"]),
)


@pytest.mark.parametrize(("match", "text", "expected"), EMOJI)
def test_emoji(match: dict[str, Any], text: str, expected: list[str] | None) -> None:
    assert words(match, text) == expected


def test_emoji_classes_are_keyed_without_selectors() -> None:
    classes = emoji_classes()
    assert {"gesture_number", "gesture_support", "gesture_allowed", "money"} <= set(classes)
    assert "✌" in classes["gesture_number"] and "✌️" not in classes["gesture_number"]
    assert "✊" in classes["gesture_allowed"] and "✊" not in classes["gesture_number"]


# -- candidate references -------------------------------------------------------------------

CANDIDATE = table(
    ("name", {"candidate": "any"}, "Bersama Hendra Wijaya", ["Hendra Wijaya"]),
    ("name-any-case", {"candidate": "any"}, "HENDRA WIJAYA!", ["HENDRA WIJAYA"]),
    ("nickname", {"candidate": "any"}, "Ayo HeSti, hesti!", ["HeSti", "hesti"]),
    ("caps-nickname-in-capitals", {"candidate": "any"}, "Pilkada DAMAI", ["DAMAI"]),
    ("caps-nickname-as-a-word", {"candidate": "any"}, "Pilkada damai ya", None),
    ("caps-nickname-title-case", {"candidate": "any"}, "Damai itu indah", None),
    ("tagline", {"candidate": "any"}, "Saatnya berubah!", ["Saatnya berubah"]),
    ("hashtag", {"candidate": "any"}, "#HeStiMenang", ["#HeStiMenang"]),
    ("name-glued-in-hashtag-end", {"candidate": 2}, "#tolakdarmaji", ["#tolakdarmaji"]),
    ("name-glued-in-hashtag-start", {"candidate": 2}, "#DarmajiMenang", ["#DarmajiMenang"]),
    ("name-camel-case-in-hashtag", {"candidate": 2}, "#AyoDarmajiMenang", ["#AyoDarmajiMenang"]),
    ("name-inside-a-word-of-a-hashtag", {"candidate": "any"}, "#positivity", None),
    ("name-lower-case-mid-hashtag", {"candidate": "any"}, "#ayodarmajimenang", None),
    ("caps-nickname-in-hashtag", {"candidate": 2}, "#AyoDAMAIMenang", ["#AyoDAMAIMenang"]),
    ("caps-nickname-lower-in-hashtag", {"candidate": "any"}, "#pilkadadamai", None),
    ("number", {"candidate": "any"}, "coblos no. 03", ["no. 03"]),
    ("number-alone-is-not", {"candidate": "any"}, "3 hari lagi", None),
    ("number-word", {"candidate": 3}, "paslon tiga", ["paslon tiga"]),
    ("mention", {"candidate": "any"}, "ikuti @relawan.hesti", ["@relawan.hesti"]),
    ("mention-longer-is-not", {"candidate": "any"}, "ikuti @relawan.hestiku", None),
    ("pair-matches", {"candidate": 2}, "Darmaji Santosa lagi", ["Darmaji Santosa"]),
    ("pair-other", {"candidate": 2}, "Hendra Wijaya lagi", None),
    ("pair-long-form", {"candidate": {"pair": 1}}, "HeSti", ["HeSti"]),
    ("kinds-hashtag", {"candidate": {"kinds": ["hashtag"]}}, "#HeStiMenang", ["#HeStiMenang"]),
    ("kinds-hashtag-not-nickname", {"candidate": {"kinds": ["hashtag"]}}, "HeSti", None),
    ("kinds-number", {"candidate": {"pair": 2, "kinds": ["number"]}}, "Nmr urut 2", ["Nmr urut 2"]),
    ("kinds-number-not-name", {"candidate": {"pair": 2, "kinds": ["number"]}}, "DAMAI", None),
    ("kinds-incumbent", {"candidate": {"kinds": ["incumbent"]}}, "dukung petahana", ["petahana"]),
    ("in-text", {"candidate": {"in": ["text"]}}, "HeSti", ["HeSti"]),
    ("in-shared-from-not-text", {"candidate": {"in": ["shared_from"]}}, "HeSti", None),
)


@pytest.mark.parametrize(("match", "text", "expected"), CANDIDATE)
def test_candidate_references_in_text(
    match: dict[str, Any], text: str, expected: list[str] | None
) -> None:
    assert words(match, text) == expected


SHARED = [
    pytest.param({"candidate": 1}, "@relawan.hesti", [], id="handle"),
    pytest.param({"candidate": 1}, X_STATUS.format("relawan.hesti"), [], id="x-status-url"),
    pytest.param(
        {"candidate": {"pair": 1, "kinds": ["winning_team"], "in": ["shared_from"]}},
        X_STATUS.format("relawan.hesti"),
        [],
        id="winning-team-url",
    ),
    pytest.param(
        {"candidate": {"kinds": ["winning_team"]}},
        "https://x.com/Relawan.Hesti/status/1?s=20",
        [],
        id="url-any-case-with-query",
    ),
    pytest.param(
        {"candidate": {"kinds": ["winning_team"]}},
        X_STATUS.format("hesti.official"),
        None,
        id="official-is-not-winning-team",
    ),
    pytest.param(
        {"candidate": {"kinds": ["account"]}}, X_STATUS.format("hesti.official"), [], id="official"
    ),
    pytest.param(
        {"candidate": {"pair": 3, "kinds": ["winning_team"]}},
        "https://www.tiktok.com/@relawan.fara/video/7420000000000000000",
        [],
        id="tiktok-url",
    ),
    pytest.param({"candidate": 2}, X_STATUS.format("relawan.hesti"), None, id="other-pair"),
    pytest.param(
        {"candidate": "any"}, X_STATUS.format("relawan.hestiku"), None, id="longer-handle"
    ),
    pytest.param(
        {"candidate": {"in": ["text"]}}, X_STATUS.format("relawan.hesti"), None, id="in-text-only"
    ),
    pytest.param(
        {"candidate": {"pair": 2, "in": ["shared_from"]}},
        "Tim DAMAI Sukamaju",
        [],
        id="caps-nickname-in-shared-from",
    ),
    pytest.param(
        {"candidate": {"in": ["shared_from"]}},
        "Kabar Pilkada damai",
        None,
        id="word-in-shared-from",
    ),
]


@pytest.mark.parametrize(("match", "shared_from", "expected"), SHARED)
def test_candidate_references_in_shared_from(
    match: dict[str, Any], shared_from: str, expected: list[str] | None
) -> None:
    # a reference in shared_from fires the rule but marks no words of the post itself
    assert words(match, "lihat ini", shared_from=shared_from) == expected


def filler(n: int) -> str:
    return " ".join(["ya"] * n)


GESTURES = table(
    ("alone", {"candidate": "any"}, "salam ✌️ dari Sukamaju", None),
    ("emoji-without-selector", {"candidate": {"kinds": ["gesture"]}}, "✌ DAMAI", ["✌"]),
    ("next-to-caps-nickname", {"candidate": {"kinds": ["gesture"]}}, "✌️ DAMAI", ["✌️"]),
    ("skin-tone", {"candidate": {"kinds": ["gesture"]}}, "DAMAI ✌🏽", ["✌🏽"]),
    ("next-to-name", {"candidate": {"pair": 2, "kinds": ["gesture"]}}, "✌ Darmaji Santosa", ["✌"]),
    ("next-to-plain-word", {"candidate": {"kinds": ["gesture"]}}, "✌️ Pilkada damai", None),
    ("next-to-number", {"candidate": {"pair": 1, "kinds": ["gesture"]}}, "☝️ coblos nomor 1", ["☝️"]),
    (
        "window-before",
        {"candidate": {"kinds": ["gesture"]}},
        f"✌️ {filler(WEAK_WINDOW - 1)} Darmaji Santosa",
        ["✌️"],
    ),
    (
        "window-after",
        {"candidate": {"kinds": ["gesture"]}},
        f"Darmaji Santosa {filler(WEAK_WINDOW - 1)} ✌️",
        ["✌️"],
    ),
    (
        "too-far-before",
        {"candidate": {"kinds": ["gesture"]}},
        f"✌️ {filler(WEAK_WINDOW)} Darmaji Santosa",
        None,
    ),
    (
        "too-far-after",
        {"candidate": {"kinds": ["gesture"]}},
        f"Darmaji Santosa {filler(WEAK_WINDOW)} ✌️",
        None,
    ),
    ("two-gestures-are-not-a-link", {"candidate": {"kinds": ["gesture"]}}, "✌️ ✌️ ☝️", None),
    (
        "same-election-other-pair",
        {"candidate": {"pair": 1, "kinds": ["gesture"]}},
        "☝️ DAMAI",
        ["☝️"],
    ),
)


@pytest.mark.parametrize(("match", "text", "expected"), GESTURES)
def test_gestures_count_only_next_to_another_reference(
    match: dict[str, Any], text: str, expected: list[str] | None
) -> None:
    assert words(match, text) == expected


def test_gesture_in_shared_from_needs_a_reference_there() -> None:
    gesture = {"candidate": {"kinds": ["gesture"]}}
    assert words(gesture, "✌️ hebat", shared_from="@relawan.hesti") is None
    assert words(gesture, "DAMAI hebat", shared_from="✌️ DAMAI") == []


# -- which elections a post is checked against ----------------------------------------------

GOVERNOR = """\
election:
  id: pilgub-jawa-raya-2024
  name: Pemilihan Gubernur Jawa Raya 2024
  region: Provinsi Jawa Raya
  level: provinsi
  timezone: Asia/Jakarta
  calendar: {candidates_named: 2024-09-22, campaign_start: 2024-09-25,
             campaign_end: 2024-11-23, quiet_start: 2024-11-24, vote: 2024-11-27}
pairs:
  - {number: 1, head: Surya Adinegara, deputy: Kartika Wulandari, nicknames: [SAKTI]}
  - {number: 2, head: Wahyu Prabaswara, deputy: Rini Anggraeni, nicknames: [WARNA], gesture: "✌️"}
"""
OTHER_CITY = """\
election:
  id: pilwalkot-sukamundur-2024
  name: Pemilihan Wali Kota Sukamundur 2024
  region: Kota Sukamundur
  province: Provinsi Jawa Raya
  level: kota
  timezone: Asia/Jakarta
  calendar: {candidates_named: 2024-09-22, campaign_start: 2024-09-25,
             campaign_end: 2024-11-23, quiet_start: 2024-11-24, vote: 2024-11-27}
pairs:
  - {number: 1, head: Bagus Pratama, deputy: Dewi Lestari}
  - {number: 2, head: Yusuf Hakim, deputy: Nita Sari}
"""
ANY_REFERENCE = """\
rules:
  - id: ref
    title: Rujukan paslon
    category: support
    severity: low
    legal_basis: [dasar]
    match:
      candidate: any
"""


@pytest.fixture(scope="module")
def three_elections(tmp_path_factory: pytest.TempPathFactory) -> RuleDetector:
    """Bupati Sukamaju (the example registry), the governor race of its province, and the
    wali kota race of another city in that province."""
    folder = tmp_path_factory.mktemp("registry")
    bundled = files("monitor.rules").joinpath("data/example-registry.yaml").read_text("utf-8")
    (folder / "sukamaju.yaml").write_text(bundled, encoding="utf-8")
    (folder / "jawa-raya.yaml").write_text(GOVERNOR, encoding="utf-8")
    (folder / "sukamundur.yaml").write_text(OTHER_CITY, encoding="utf-8")
    rules = folder / "rules.yaml"
    rules.write_text(ANY_REFERENCE, encoding="utf-8")
    registry = load_registry(
        [folder / "sukamaju.yaml", folder / "jawa-raya.yaml", folder / "sukamundur.yaml"]
    )
    return RuleDetector(load_rules([rules]), registry)


BUPATI, GUB, WALKOT = "pilbup-sukamaju-2024", "pilgub-jawa-raya-2024", "pilwalkot-sukamundur-2024"


@pytest.mark.parametrize(
    ("region", "text", "elections"),
    [
        pytest.param("Kota Sukamundur", "Pilih DAMAI", set(), id="other-city-bupati-race"),
        pytest.param("Kota Sukamundur", "Pilih SAKTI", {GUB}, id="other-city-governor"),
        pytest.param("Kota Sukamundur", "Bagus Pratama!", {WALKOT}, id="other-city-own-race"),
        pytest.param("Kota Sukamundur", "coblos nomor 3", set(), id="only-sukamaju-has-3"),
        pytest.param("Kota Sukamundur", "coblos nomor 2", {GUB, WALKOT}, id="number-per-race"),
        pytest.param("Kabupaten Sukamaju", "Pilih DAMAI", {BUPATI}, id="own-bupati-race"),
        pytest.param("Kabupaten Sukamaju", "Bagus Pratama!", set(), id="not-the-other-city"),
        pytest.param("Kabupaten Sukamaju", "Pilih SAKTI", {GUB}, id="own-governor"),
        pytest.param(
            "Provinsi Jawa Raya", "DAMAI dan Bagus Pratama", {BUPATI, WALKOT}, id="province"
        ),
        pytest.param(None, "DAMAI, SAKTI", {BUPATI, GUB}, id="no-region-every-race"),
        pytest.param("Kabupaten Entah", "DAMAI", {BUPATI}, id="unknown-region-every-race"),
    ],
)
def test_references_only_to_the_elections_of_the_authors_region(
    three_elections: RuleDetector, region: str | None, text: str, elections: set[str]
) -> None:
    evaluation = three_elections.evaluate(text, region=region)
    assert {r.election_id for r in evaluation.scan.refs} == elections
    assert bool(evaluation.fired) is bool(elections)


def test_gesture_links_only_within_its_own_election(three_elections: RuleDetector) -> None:
    # ✌️ is pair 2's gesture for the bupati and for the governor; SAKTI is the governor's
    evaluation = three_elections.evaluate("✌️ SAKTI", region="Kabupaten Sukamaju")
    gestures = {(r.election_id, r.pair) for r in evaluation.scan.refs if r.kind == "gesture"}
    assert gestures == {(GUB, 2)}


def test_match_records_the_referenced_election(three_elections: RuleDetector) -> None:
    post = Post(
        platform="x",
        post_id="1",
        author="@budi",
        text="Pilih SAKTI",
        created_at=datetime(2024, 10, 1, tzinfo=UTC),
        payload="{}",
        author_region="Kota Sukamundur",
    )
    [match] = three_elections.detect([post])
    assert match.election_id == GUB


# -- exceptions -----------------------------------------------------------------------------

REMINDER = {"any": ["netral", "netralitas"]}


@pytest.mark.parametrize(
    ("exceptions", "rule_extra", "category", "fired", "suppressed"),
    [
        pytest.param(
            [exception("reminder", REMINDER, applies_to=["support"])],
            {},
            "support",
            [],
            [("r", "reminder")],
            id="silences-its-category",
        ),
        pytest.param(
            [exception("reminder", REMINDER, applies_to=["support"])],
            {},
            "attack",
            ["r"],
            [],
            id="other-category-fires",
        ),
        pytest.param(
            [exception("reminder", REMINDER)],
            {},
            "money_politics",
            [],
            [("r", "reminder")],
            id="default-applies-to-every-category",
        ),
        pytest.param(
            [exception("reminder", REMINDER, applies_to=["support"])],
            {"ignore_exceptions": ["reminder"]},
            "support",
            ["r"],
            [],
            id="ignore-exceptions",
        ),
        pytest.param(
            [
                exception("reminder", REMINDER, applies_to=["support"]),
                exception("news", {"any": ["dukung"]}, applies_to=["support"]),
            ],
            {"ignore_exceptions": ["reminder"]},
            "support",
            [],
            [("r", "news")],
            id="ignoring-one-keeps-the-others",
        ),
        pytest.param(
            [
                exception("news", {"any": ["berita"]}),
                exception("reminder", REMINDER),
                exception("dukung", {"any": ["dukung"]}),
            ],
            {},
            "support",
            [],
            [("r", "reminder")],
            id="first-matching-exception-is-named",
        ),
        pytest.param(
            [exception("news", {"any": ["berita"]})],
            {},
            "support",
            ["r"],
            [],
            id="exception-not-matching",
        ),
        pytest.param(
            [exception("reminder", {"candidate": "any"})],
            {},
            "support",
            ["r"],
            [],
            id="exception-with-no-reference",
        ),
    ],
)
def test_exceptions(
    exceptions: list[Exception_],
    rule_extra: dict[str, Any],
    category: str,
    fired: list[str],
    suppressed: list[tuple[str, str]],
) -> None:
    engine = Engine(
        [rule({"any": ["dukung"]}, category=category, **rule_extra)], exceptions, CANDIDATES
    )
    evaluation = engine.match("ASN wajib netral, jangan dukung paslon")
    assert [f.rule.id for f in evaluation.fired] == fired
    assert evaluation.suppressed == suppressed


def test_exception_is_checked_only_for_rules_that_hold() -> None:
    engine = Engine(
        [rule({"any": ["dukung"]}, "a"), rule({"any": ["tidak ada"]}, "b")],
        [exception("reminder", REMINDER)],
    )
    evaluation = engine.match("ASN wajib netral, jangan dukung paslon")
    assert evaluation.fired == []
    assert evaluation.suppressed == [("a", "reminder")]


# -- spans: exactly the text as written -----------------------------------------------------

SPANS = [
    pytest.param(
        {"any": ["dukung paslon", "final"]},
        "Yuk  ＤＵＫＵＮＧ\tpaslon 🎉, ﬁnal!",
        [(5, 18), (22, 26)],
        id="width-tab-ligature",
    ),
    pytest.param({"any": ["coblos nomor 2"]}, "Ojo lali coblos no. 02!", [(9, 22)], id="nomor"),
    pytest.param({"any": ["anak anak"]}, "ajak anak2 ya", [(5, 10)], id="reduplication"),
    pytest.param({"any": ["2"]}, "pilih no2", [(6, 9)], id="inside-a-glued-word"),
    pytest.param({"emoji": ["money"]}, "a 💰💸 b", [(2, 4)], id="emoji-run-merged"),
    pytest.param({"emoji": ["👍"]}, "ok 👍🏿!", [(3, 5)], id="skin-tone-included"),
    pytest.param(
        {"any": ["jangan pilih nomor", "pilih nomor"]},
        "jangan pilih nomor 3",
        [(0, 18)],
        id="overlapping-merged",
    ),
    pytest.param({"any": ["dukung"]}, "du\u00adkung!", [(0, 7)], id="soft-hyphen"),
    pytest.param({"any": ["café"]}, "ke Cafe\u0301 ya", [(3, 8)], id="combining-accent"),
    pytest.param({"candidate": 2}, "Ayo #LanjutkanDAMAI ✌🏽", [(4, 19), (20, 22)], id="refs"),
]


@pytest.mark.parametrize(("match", "text", "spans"), SPANS)
def test_spans_are_the_original_text(
    match: dict[str, Any], text: str, spans: list[tuple[int, int]]
) -> None:
    evaluation = Engine([rule(match)], (), CANDIDATES).match(text)
    [fired] = evaluation.fired
    assert evaluation.spans(fired.hits) == spans


def test_detector_spans_quote_the_post(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - id: support.number\n"
        "    title: Ajakan memilih nomor\n"
        "    category: support\n"
        "    severity: high\n"
        "    criminal: false\n"
        "    legal_basis: [dasar]\n"
        "    match:\n"
        "      near: {within: 3, all: [coblos, {candidate: any}]}\n"
        "  - id: attack.insult\n"
        "    title: Penghinaan\n"
        "    category: attack\n"
        "    severity: critical\n"
        "    criminal: true\n"
        "    legal_basis: [dasar]\n"
        "    match:\n"
        "      all: [{candidate: any}, {emoji: ['🐀']}]\n",
        encoding="utf-8",
    )
    detector = RuleDetector(load_rules([path]), REGISTRY)
    text = "Ｃｏｂｌｏｓ  no.03!! 🐀🏻 DAMAI"
    post = Post("x", "9", "@budi", text, datetime(2024, 10, 1, tzinfo=UTC), "{}")
    matches = detector.detect([post])
    assert [(m.rule_id, m.category, m.severity, m.criminal) for m in matches] == [
        ("support.number", "support", "high", False),
        ("attack.insult", "attack", "critical", True),
    ]
    assert matches[0].spans == (Span(0, 6, "Ｃｏｂｌｏｓ"), Span(8, 13, "no.03"))
    assert matches[1].spans == (Span(8, 13, "no.03"), Span(16, 18, "🐀🏻"), Span(19, 24, "DAMAI"))
    for match in matches:
        assert all(text[s.start : s.end] == s.text for s in match.spans)
        assert match.post_key == ("x", "9")
        assert match.election_id == "pilbup-sukamaju-2024"
    assert detector.detect([]) == []


# -- RuleDetector and candidate_terms -------------------------------------------------------


def test_candidate_terms_cover_the_registry() -> None:
    terms = {(t.pair, t.kind, t.text) for t in CANDIDATES}
    assert {(1, "number", "1"), (2, "number", "2"), (3, "number", "3")} <= terms
    assert (1, "account", "@hesti.official") in terms
    assert (1, "winning_team", "@relawan.hesti") in terms
    assert (2, "nickname", "DAMAI") in terms
    assert (2, "gesture", "✌️") in terms
    assert (1, "name", "Hendra Wijaya") in terms
    assert {t.election_id for t in CANDIDATES} == {"pilbup-sukamaju-2024"}
    assert candidate_terms(Registry.empty()) == []


def test_detector_version_names_rules_and_candidates(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(ANY_REFERENCE, encoding="utf-8")
    ruleset = load_rules([path])
    detector = RuleDetector(ruleset, REGISTRY)
    assert detector.name == "rules"
    assert detector.version == f"rules:{ruleset.version[:12]}+candidates:{REGISTRY.version[:12]}"
    empty = RuleDetector(ruleset, Registry.empty())
    assert empty.elections("Kabupaten Sukamaju") is None
    assert empty.evaluate("DAMAI").fired == []


# -- the trigger prefilter never changes a result -------------------------------------------

PREFILTER_RULES = [
    rule({"any": ["dukung", "pilih"]}, "t.any"),
    rule({"all": ["coblos", {"candidate": "any"}]}, "t.all-candidate"),
    rule({"any": ["menang*"], "none": ["pertandingan"]}, "t.prefix-none"),
    rule({"near": {"within": 3, "all": ["coblos", {"candidate": 2}]}}, "t.near"),
    rule({"regex": r"nomor [0-9]"}, "t.regex-only"),
    rule({"regex": r"\bnetral\b", "none": ["dukung"]}, "t.regex-none", category="attack"),
    rule({"hashtags": ["#coblos*", "#hestimenang"]}, "t.hashtags"),
    rule({"emoji": ["gesture_number"], "candidate": "any"}, "t.emoji-candidate"),
    rule({"emoji": ["money"]}, "t.money", category="money_politics"),
    rule({"candidate": {"pair": 1, "in": ["shared_from"]}}, "t.shared"),
    rule({"candidate": {"kinds": ["gesture"]}}, "t.gesture"),
    rule(
        {"any": [{"all": ["ayo", "dukung"]}, {"hashtags": ["#tolak*"]}]},
        "t.nested",
        category="attack",
    ),
    rule({"any": ["dukung"]}, "t.unless", unless={"any": ["jangan golput"]}),
    rule({"any": ["dukung"]}, "t.ignores", ignore_exceptions=["reminder"]),
    rule({"all": ["amplop", {"regex": r"[0-9]+"}]}, "t.all-regex", category="money_politics"),
    rule(
        {"any": ["serangan fajar", "sembako"], "emoji": ["money"]},
        "t.any-emoji",
        category="money_politics",
    ),
    rule({"candidate": "any", "none": ["netral"]}, "t.candidate-none", category="campaign_share"),
]
PREFILTER_EXCEPTIONS = [
    exception("reminder", {"any": ["netral", "netralitas"]}, applies_to=["support"]),
    exception("education", {"hashtags": ["#temanpemilih"]}),
]
VOCABULARY = " ".join(
    [
        "dukung pilih coblos ayo menang menangkan pertandingan nomor no. 2 02 dua tiga netral",
        "netralitas jangan golput amplop serangan fajar sembako paslon DAMAI damai HeSti Hendra",
        "Wijaya Darmaji Santosa petahana #Coblos3 #HeStiMenang #TolakDAMAI #TemanPemilih",
        "@relawan.hesti ✌️ ✌🏽 ☝️ 🤟 👍 💰 💸 🎉 yg gk p1l1h anak2 mantaaap ya dan di kita 100rb",
    ]
).split(" ")
SHARED_FROM = [None, None, "@relawan.hesti", X_STATUS.format("relawan.hesti"), "✌️ DAMAI", "KPU"]


def generated_posts(n: int, seed: int = 20241127) -> list[tuple[str, str | None]]:
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        words = rng.choices(VOCABULARY, k=rng.randint(0, 12))
        posts.append((" ".join(words), rng.choice(SHARED_FROM)))
    return posts


def brute_force(engine: Engine, scan: Scan) -> tuple[list[tuple[str, Any]], list[tuple[str, str]]]:
    """Every rule's expression evaluated, no prefilter."""
    fired, suppressed = [], []
    for compiled in engine.rules:
        result = compiled.node.eval(scan)
        if not result.ok or (compiled.unless is not None and compiled.unless.eval(scan).ok):
            continue
        silencer = next(
            (
                engine.exceptions[i].exception.id
                for i in compiled.exceptions
                if engine.exceptions[i].node.eval(scan).ok
            ),
            None,
        )
        if silencer is None:
            fired.append((compiled.rule.id, result.hits))
        else:
            suppressed.append((compiled.rule.id, silencer))
    return fired, suppressed


def test_prefilter_never_changes_results() -> None:
    engine = Engine(PREFILTER_RULES, PREFILTER_EXCEPTIONS, CANDIDATES)
    seen_fired: set[str] = set()
    seen_suppressed: set[tuple[str, str]] = set()
    for text, shared_from in generated_posts(400):
        scan = engine.scan(text, shared_from=shared_from)
        evaluation = engine.evaluate(scan)
        fired, suppressed = brute_force(engine, scan)
        assert [(f.rule.id, f.hits) for f in evaluation.fired] == fired, (text, shared_from)
        assert evaluation.suppressed == suppressed, (text, shared_from)
        seen_fired.update(rule_id for rule_id, _ in fired)
        seen_suppressed.update(suppressed)
    # the sample is not vacuous: every rule fired on some post, and exceptions did work
    assert seen_fired == {r.id for r in PREFILTER_RULES}
    assert {("t.any", "reminder"), ("t.any", "education")} <= seen_suppressed
    assert ("t.ignores", "education") in seen_suppressed
    assert ("t.ignores", "reminder") not in seen_suppressed
