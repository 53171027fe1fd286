"""The rule language (YAML), as pydantic models with unknown keys forbidden.

A rule file holds ``rules:`` and/or ``exceptions:``. A rule says what it flags
(category, severity), how far it is trusted (status), the law it implements
(legal_basis), the false positives it is known for, a match expression, exceptions
(``unless``), and examples that must and must not match. An exception is a named
expression that, when it matches a post, suppresses the rules of the categories it applies
to (neutrality reminders, voter education, news quotes) without editing those rules.

An expression is a mapping whose keys must all hold:

``any: [item, ...]``      at least one item holds
``all: [item, ...]``      every item holds
``none: [item, ...]``     no item holds
``near: {within: N, all: [item, ...]}``  every item holds within N words of each other
``regex: PATTERN | [PATTERN, ...]``      RE2 pattern(s) on the normalised text
``hashtags: ["#tag", "#prefix*"]``       a hashtag, exact or by prefix
``emoji: [class or emoji, ...]``         an emoji of a class (data/emoji.yaml) or itself
``candidate: any | N | {pair, kinds, in}``  a reference to a candidate pair

An item is a term (a word or phrase; ``*`` at the end matches a word prefix) or a nested
expression.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

Category = Literal["support", "campaign_share", "attack", "money_politics"]
CATEGORIES: tuple[Category, ...] = ("support", "campaign_share", "attack", "money_politics")
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["experimental", "test", "stable"]
RefKind = Literal[
    "name", "short_name", "nickname", "number", "tagline", "hashtag", "account", "winning_team",
    "gesture", "incumbent",
]  # fmt: skip
REF_KINDS: tuple[RefKind, ...] = (
    "name", "short_name", "nickname", "number", "tagline", "hashtag", "account", "winning_team",
    "gesture", "incumbent",
)  # fmt: skip
Where = Literal["text", "shared_from"]
WHERE: tuple[Where, ...] = ("text", "shared_from")

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _term(value: Any) -> Any:
    """One term, checked on its own so each bad term is reported where it is written."""
    if isinstance(value, bool):  # the YAML loader adds which word (no, on, yes) to quote
        raise ValueError(f"istilah harus teks, bukan boolean {str(value).lower()}")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        term = value.strip()
        if not term or term == "*":
            raise ValueError("istilah kosong")
        if "*" in term[:-1]:
            raise ValueError(f"istilah {value!r}: '*' hanya boleh di akhir")
        return term
    raise ValueError(f"istilah {value!r} bukan teks")


def _re2_pattern(pattern: str) -> str:
    """One RE2 pattern, checked on its own so a bad one is reported where it is written."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason goes into the problem, not onto stderr
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"regex {pattern!r} tidak valid untuk RE2: {reason}") from None
    return pattern


def _hashtag(tag: str) -> str:
    """``#tag`` or ``#prefix*``: one word, as the normaliser cuts hashtags out of a post."""
    if not tag.startswith("#"):
        raise ValueError(f"tagar {tag!r} harus diawali '#'")
    body = tag[1:-1] if tag.endswith("*") else tag[1:]
    if not body:
        raise ValueError(f"tagar {tag!r} kosong")
    if "*" in body:
        raise ValueError(f"tagar {tag!r}: '*' hanya boleh di akhir")
    if not all(c.isalnum() or c == "_" for c in body):
        raise ValueError(
            f"tagar {tag!r} hanya boleh huruf, angka, dan '_' (contoh: #HeStiMenang, #Coblos*)"
        )
    return tag


def _item_tag(value: Any) -> str:
    return "expr" if isinstance(value, dict | Expr) else "term"


Term = Annotated[str, BeforeValidator(_term), Field(min_length=1)]
Pattern = Annotated[str, AfterValidator(_re2_pattern)]
Hashtag = Annotated[str, AfterValidator(_hashtag)]
Item = Annotated[
    Annotated[Term, Tag("term")] | Annotated["Expr", Tag("expr")],
    Discriminator(_item_tag),
]


class CandidateRef(_Strict):
    """A reference to a candidate pair: which pair, by which means, and where."""

    pair: int | Literal["any"] = "any"
    kinds: list[RefKind] = Field(default_factory=lambda: list(REF_KINDS), min_length=1)
    in_: list[Where] = Field(default_factory=lambda: list(WHERE), alias="in", min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "any" or (isinstance(value, int) and not isinstance(value, bool)):
            return {"pair": value}
        return value

    @field_validator("pair")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("nomor urut pasangan mulai dari 1")
        return value


class Near(_Strict):
    within: int = Field(default=5, ge=1, le=50)
    all: list[Item] = Field(min_length=2)


class Expr(_Strict):
    any: list[Item] | None = Field(default=None, min_length=1)
    all: list[Item] | None = Field(default=None, min_length=1)
    none: list[Item] | None = Field(default=None, min_length=1)
    near: Near | None = None
    regex: list[Pattern] | None = Field(default=None, min_length=1)
    hashtags: list[Hashtag] | None = Field(default=None, min_length=1)
    emoji: list[str] | None = Field(default=None, min_length=1)
    candidate: CandidateRef | None = None

    @field_validator("regex", mode="before")
    @classmethod
    def _regex_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _not_empty(self) -> Expr:
        if not any(getattr(self, key) is not None for key in type(self).model_fields):
            raise ValueError(
                "ekspresi kosong: pakai any, all, none, near, regex, hashtags, emoji, "
                "atau candidate"
            )
        if self.none is not None and all(
            getattr(self, key) is None for key in type(self).model_fields if key != "none"
        ):
            raise ValueError("'none' saja tidak cukup: tambahkan apa yang harus cocok")
        return self


class Example(_Strict):
    text: str
    shared_from: str | None = None
    #: the author's region, to pick the elections the example is checked against
    region: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Examples(_Strict):
    match: list[Example] = Field(default_factory=list)
    no_match: list[Example] = Field(default_factory=list)


class Rule(_Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=100)
    title: str = Field(min_length=1)
    category: Category
    severity: Severity
    status: Status = "experimental"
    legal_basis: list[str] = Field(min_length=1)
    description: str = ""
    false_positives: list[str] = Field(default_factory=list)
    match: Expr
    unless: Expr | None = None
    #: global exceptions this rule does not honour (by id)
    ignore_exceptions: list[str] = Field(default_factory=list)
    #: content for the criminal route (insult, incitement: UU 10/2016 Ps. 69, 187)
    criminal: bool = False
    #: flag only when the classifier agrees (see ``detection.policy`` in the configuration)
    requires_model: bool = False
    examples: Examples = Examples()


class Exception_(_Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=100)
    title: str = Field(min_length=1)
    description: str = ""
    applies_to: list[Category] = Field(default_factory=lambda: list(CATEGORIES), min_length=1)
    match: Expr
    examples: Examples = Examples()


class RuleFile(_Strict):
    rules: list[Rule] = Field(default_factory=list)
    exceptions: list[Exception_] = Field(default_factory=list)


Expr.model_rebuild()
Near.model_rebuild()
