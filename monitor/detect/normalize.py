"""Normalisation of Indonesian social-media text, token by token, with offsets back to the
original so evidence can be highlighted.

The text is cut into tokens (words, numbers, hashtags, mentions, URLs, emoji). Each token
is normalised on its own, and the result cached, since social-media vocabulary is small:

- Unicode NFKC and case folding ("ＤＵＫＵＮＧ" -> "dukung");
- letters repeated three or more times collapse ("mantaaap" -> "mantap");
- leetspeak inside words ("p1l1h" -> "pilih"; a number with a unit or a suffix keeps its
  digits: "100rb", "covid19"), glued numbers split ("no2" -> "nomor 2"),
  reduplication ("anak2" -> "anak anak");
- the project's slang lexicon (``data/slang.tsv``: "yg" -> "yang", "gk" -> "tidak");
- number words to digits ("dua" -> "2") and leading zeros dropped ("02" -> "2");
- "no", "nmr", "nomer" before a number -> "nomor";
- emoji to their names (":index_pointing_up:"), skin tones and variation selectors removed.

The normalised text is the tokens joined by single spaces; a phrase matches only on whole
tokens. Rule terms go through the same function, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files

import emoji as emoji_lib


class Kind(StrEnum):
    WORD = "word"
    NUMBER = "number"
    HASHTAG = "hashtag"
    MENTION = "mention"
    URL = "url"
    EMOJI = "emoji"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    kind: Kind
    #: original ``[start, end)`` in the text as written
    start: int
    end: int
    #: for emoji: the emoji itself without skin tone or variation selector
    symbol: str = ""


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str
    tokens: tuple[Token, ...]
    #: ``starts[i]`` is where token i begins in ``text``
    starts: tuple[int, ...]

    def token_index(self, position: int) -> int:
        """The token that covers normalised ``position``."""
        return max(bisect_right(self.starts, position) - 1, 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` covering normalised ``[start, end)``."""
        first = self.tokens[self.token_index(start)]
        last = self.tokens[self.token_index(max(end - 1, start))]
        return first.start, last.end

    def token_span(self, first: int, last: int) -> tuple[int, int]:
        return self.tokens[first].start, self.tokens[last].end

    def at_boundaries(self, start: int, end: int, *, prefix: bool = False) -> bool:
        """Whether ``[start, end)`` starts on a token start and (unless ``prefix``) ends on
        a token end."""
        text = self.text
        if start > 0 and text[start - 1] != " ":
            return False
        return prefix or end == len(text) or text[end] == " "


_EMOJI_CHARS = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
_EMOJI_TAIL = "\ufe0e\ufe0f\u20e3\u200d\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
#: Combining marks belong to the letter before them ("e" + U+0301 is "é" after NFKC).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\ufe20-\ufe2f"
#: Invisible characters that do not end a word (Unicode word segmentation, UAX #29): soft
#: hyphen, zero-width non-joiner and joiner, word joiner. "du\u00adkung" is "dukung"; a
#: zero-width space (U+200B) does end a word.
_JOINERS = "\u00ad\u200c\u200d\u2060"
_DROP_JOINERS = dict.fromkeys(map(ord, _JOINERS))
_WORD = rf"\w[\w{_MARKS}]*"
TOKEN_RE = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s<>\"]+)"
    r"|(?P<mention>@[\w](?:[\w.]*\w)?)"
    rf"|(?P<hashtag>#{_WORD})"
    rf"|(?P<word>{_WORD}(?:(?:['’]|[{_JOINERS}]+){_WORD})*)"
    rf"|(?P<emoji>[{_EMOJI_CHARS}][{_EMOJI_CHARS}{_EMOJI_TAIL}]*)"
)
_SKIN_AND_SELECTORS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_GLUED_NUMBER = re.compile(r"^(no|nmr|nomer|nomor|paslon|urut|coblos|pilih)(\d{1,2})$")
_REDUPLICATION = re.compile(r"^([^\W\d_]{3,})2$")
#: A digit between letters is leetspeak ("p1l1h"); digits before or after letters are a
#: number ("100rb", "5jt", "pilkada2024", "covid19").
_LEET_INSIDE = re.compile(r"[^\W\d_]\d+[^\W\d_]")
_AMOUNT = re.compile(r"^(\d+)(rb|ribu|rebu|k|jt|juta)$")
#: "50rb", "100k", "1jt": an amount; the unit is spelled out so rules can say "ribu".
_AMOUNT_UNITS = {
    "rb": "ribu", "ribu": "ribu", "rebu": "ribu", "k": "ribu", "jt": "juta", "juta": "juta",
}  # fmt: skip
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
)

NUMBER_WORDS = {
    "nol": "0", "kosong": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
    "lima": "5", "enam": "6", "tujuh": "7", "delapan": "8", "sembilan": "9", "sepuluh": "10",
}  # fmt: skip
NUMBER_PREFIXES = frozenset({"no", "nmr", "nomer", "nomor"})


@lru_cache(maxsize=1)
def slang_lexicon() -> dict[str, str]:
    """The project's own lexicon: ``informal<TAB>standard`` per line."""
    lexicon: dict[str, str] = {}
    text = files("monitor.detect").joinpath("data/slang.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        informal, standard = line.split("\t", 1)
        lexicon[informal.strip()] = standard.strip()
    return lexicon


def _fold(text: str) -> str:
    text = text.translate(_DROP_JOINERS)
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> tuple[str, ...]:
    """One word token -> one or more normalised words (cached)."""
    folded = _fold(word)
    if folded.isdigit():
        return (folded.lstrip("0") or "0",) if len(folded) <= 3 else (folded,)
    glued = _GLUED_NUMBER.match(folded)
    if glued:
        prefix = "nomor" if glued.group(1) in NUMBER_PREFIXES else glued.group(1)
        return (prefix, glued.group(2).lstrip("0") or "0")
    amount = _AMOUNT.match(folded)
    if amount:  # "50rb" -> "50 ribu", "1jt" -> "1 juta"
        return (amount.group(1), _AMOUNT_UNITS[amount.group(2)])
    redup = _REDUPLICATION.match(folded)
    if redup:
        base = normalize_word(redup.group(1))
        return base + base
    if _LEET_INSIDE.search(folded):
        folded = folded.translate(_LEET)
    folded = _REPEATS.sub(r"\1", folded)
    standard = slang_lexicon().get(folded)
    if standard is not None:
        return tuple(standard.split(" "))
    number = NUMBER_WORDS.get(folded)
    if number is not None:
        return (number,)
    return (folded,)


@lru_cache(maxsize=20_000)
def _emoji_run(run: str) -> tuple[tuple[int, int, str, str], ...]:
    """An emoji run -> (start, end, name, symbol) for each emoji in it."""
    found = []
    for item in emoji_lib.emoji_list(run):
        symbol = _SKIN_AND_SELECTORS.sub("", item["emoji"])
        if not symbol:  # a skin tone after an emoji that takes none ("🐀🏻"), or alone
            if found and found[-1][1] == item["match_start"]:
                start, _, name, base = found[-1]
                found[-1] = (start, item["match_end"], name, base)
            continue
        name = emoji_lib.demojize(symbol, delimiters=(":", ":"))
        if name == symbol:  # unknown to the emoji database: keep the characters
            name = f":u{ord(symbol[0]):x}:"
        found.append((item["match_start"], item["match_end"], name, symbol))
    return tuple(found)


def emoji_symbol(text: str) -> str:
    """An emoji without skin tone or variation selector, as the classes are keyed."""
    return _SKIN_AND_SELECTORS.sub("", text)


def normalize(text: str) -> Normalized:
    tokens: list[Token] = []
    for found in TOKEN_RE.finditer(text):
        kind = found.lastgroup
        start, end = found.span()
        value = found.group()
        if kind == "word":
            words = normalize_word(value)
            for word in words:
                tokens.append(Token(word, Kind.NUMBER if word.isdigit() else Kind.WORD, start, end))
        elif kind == "emoji":
            for e_start, e_end, name, symbol in _emoji_run(value):
                tokens.append(Token(name, Kind.EMOJI, start + e_start, start + e_end, symbol))
        elif kind == "hashtag":
            tokens.append(Token(_fold(value), Kind.HASHTAG, start, end))
        elif kind == "mention":
            tokens.append(Token(_fold(value), Kind.MENTION, start, end))
        else:
            tokens.append(Token(value.casefold(), Kind.URL, start, end))
    _number_prefixes(tokens)
    starts = []
    position = 0
    for token in tokens:
        starts.append(position)
        position += len(token.text) + 1
    return Normalized(text, " ".join(t.text for t in tokens), tuple(tokens), tuple(starts))


def _number_prefixes(tokens: list[Token]) -> None:
    """ "no 2", "nmr. 2", "no. urut 2" -> "nomor ..." (only before a number: "no" alone stays)."""
    for i in range(len(tokens) - 1):
        token = tokens[i]
        if token.text not in NUMBER_PREFIXES or token.text == "nomor":
            continue
        after = tokens[i + 1]
        if after.kind is Kind.NUMBER or (
            after.text == "urut" and i + 2 < len(tokens) and tokens[i + 2].kind is Kind.NUMBER
        ):
            tokens[i] = Token("nomor", Kind.WORD, token.start, token.end)


def normalize_term(term: str) -> str:
    """A rule term or candidate reference, normalised exactly as post text is."""
    return normalize(term).text
