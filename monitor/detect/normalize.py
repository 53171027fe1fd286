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
from itertools import accumulate

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


class Normalized:
    """The normalised text and, per token, its text and kind; the original span of each
    token is worked out only when asked for (most posts have no hit to highlight).

    Tokens are kept as flat lists (the hot path reads them by index); ``tokens`` builds
    ``Token`` objects on demand for people and tests."""

    __slots__ = (
        "_counts", "_ends", "_starts", "_tokens", "_wstarts", "emoji", "hashtags", "kinds",
        "original", "symbols", "text", "words",
    )  # fmt: skip

    def __init__(
        self,
        original: str,
        words: list[str],
        kinds: list[Kind],
        counts: list[int],
        symbols: dict[int, str],
        hashtags: list[tuple[int, str]],
    ) -> None:
        self.original = original
        self.words = words
        self.kinds = kinds
        self.symbols = symbols
        self.hashtags = hashtags
        self.emoji = list(symbols.items())
        self.text = " ".join(words)
        #: how many normalised tokens each raw token of the original became
        self._counts = counts
        self._starts: list[int] | None = None
        self._wstarts: list[int] | None = None
        self._ends: list[int] | None = None
        self._tokens: tuple[Token, ...] | None = None

    @property
    def starts(self) -> list[int]:
        """``starts[i]`` is where token i begins in ``text``."""
        if self._starts is None:
            words = self.words
            self._starts = (
                list(accumulate((len(w) + 1 for w in words[:-1]), initial=0)) if words else []
            )
        return self._starts

    def _spans(self) -> None:
        wstarts: list[int] = []
        ends: list[int] = []
        for found, count in zip(TOKEN_RE.finditer(self.original), self._counts, strict=True):
            start, end = found.span()
            if found.lastgroup == "emoji":
                for e_start, e_end, _, _ in _emoji_run(found.group()):
                    wstarts.append(start + e_start)
                    ends.append(start + e_end)
            else:
                wstarts.extend([start] * count)
                ends.extend([end] * count)
        self._wstarts, self._ends = wstarts, ends

    @property
    def wstarts(self) -> list[int]:
        """Original start of each token."""
        if self._wstarts is None:
            self._spans()
        assert self._wstarts is not None
        return self._wstarts

    @property
    def ends(self) -> list[int]:
        """Original end (exclusive) of each token."""
        if self._ends is None:
            self._spans()
        assert self._ends is not None
        return self._ends

    @property
    def tokens(self) -> tuple[Token, ...]:
        if self._tokens is None:
            rows = zip(self.words, self.kinds, self.wstarts, self.ends, strict=True)
            self._tokens = tuple(
                Token(w, k, s, e, self.symbols.get(i, "")) for i, (w, k, s, e) in enumerate(rows)
            )
        return self._tokens

    def token_index(self, position: int) -> int:
        """The token that covers normalised ``position``."""
        return max(bisect_right(self.starts, position) - 1, 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` covering normalised ``[start, end)``."""
        return self.token_span(self.token_index(start), self.token_index(max(end - 1, start)))

    def token_span(self, first: int, last: int) -> tuple[int, int]:
        return self.wstarts[first], self.ends[last]

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
#: The same tokens without group names: ``findall`` then returns plain strings (the hot path).
_TOKEN_FIND = re.compile(re.sub(r"\(\?P<\w+>", "(?:", TOKEN_RE.pattern)).findall
_SKIN_AND_SELECTORS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_GLUED_NUMBER = re.compile(r"^(no|nmr|nomer|nomor|paslon|urut)(\d{1,2})$")
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
    "nol": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
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


@lru_cache(maxsize=4096)
def normalize_word(word: str) -> tuple[str, ...]:
    """One word token -> one or more normalised words. ``normalize`` caches whole tokens in
    ``_ENTRIES``; this small cache serves reduplicated bases and rule compilation."""
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
    found: list[tuple[int, int, str, str]] = []
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


#: One raw token -> its normalised words, their kinds, and what is special about it: the
#: emoji symbols of an emoji run, or a hashtag (see ``_HASHTAG``).
_Entry = tuple[tuple[str, ...], tuple[Kind, ...], tuple[str, ...]]
#: Bounded: every post brings tokens never seen before (numbers, links, names, typos), so
#: the cache is cleared when full. About 360 bytes a token: 100,000 is some 35 MiB at most
#: in the service (500,000 grew a long-running service by ~1 MiB a minute, issue #7's soak).
_ENTRIES: dict[str, _Entry] = {}
_ENTRIES_MAX = 100_000
_HASHTAG = ("#",)


def _entry(token: str) -> _Entry:
    found = TOKEN_RE.fullmatch(token)
    kind = found.lastgroup if found is not None else "word"
    if kind == "word":
        words = normalize_word(token)
        return words, tuple(Kind.NUMBER if w.isdigit() else Kind.WORD for w in words), ()
    if kind == "emoji":
        run = _emoji_run(token)
        return tuple(f[2] for f in run), (Kind.EMOJI,) * len(run), tuple(f[3] for f in run)
    if kind == "hashtag":
        return (_fold(token),), (Kind.HASHTAG,), _HASHTAG
    if kind == "mention":
        return (_fold(token),), (Kind.MENTION,), ()
    return (token.casefold(),), (Kind.URL,), ()


def normalize(text: str) -> Normalized:
    words: list[str] = []
    kinds: list[Kind] = []
    counts: list[int] = []
    symbols: dict[int, str] = {}
    hashtags: list[tuple[int, str]] = []
    entries = _ENTRIES
    for token in _TOKEN_FIND(text):
        entry = entries.get(token)
        if entry is None:
            if len(entries) > _ENTRIES_MAX:
                entries.clear()
            entry = entries[token] = _entry(token)
        new_words, new_kinds, special = entry
        if special:
            if special is _HASHTAG:
                hashtags.append((len(words), new_words[0]))
            else:
                for offset, symbol in enumerate(special):
                    symbols[len(words) + offset] = symbol
        words += new_words
        kinds += new_kinds
        counts.append(len(new_words))
    if not NUMBER_PREFIXES.isdisjoint(words):
        _number_prefixes(words, kinds)
    return Normalized(text, words, kinds, counts, symbols, hashtags)


def _number_prefixes(words: list[str], kinds: list[Kind]) -> None:
    """ "no 2", "nmr. 2", "no. urut 2" -> "nomor ..." (only before a number: "no" alone stays)."""
    last = len(words) - 1
    for i in range(last):
        if words[i] not in NUMBER_PREFIXES or words[i] == "nomor":
            continue
        if kinds[i + 1] is Kind.NUMBER or (
            words[i + 1] == "urut" and i + 2 <= last and kinds[i + 2] is Kind.NUMBER
        ):
            words[i] = "nomor"


def normalize_term(term: str) -> str:
    """A rule term or candidate reference, normalised exactly as post text is."""
    return normalize(term).text
