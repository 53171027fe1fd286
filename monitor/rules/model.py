"""The rule-file language (YAML), as pydantic models with unknown keys forbidden.

A file holds ``rules:``, a list of rules. Each rule carries what it flags (category,
severity), how sure we are of it (status), the law it implements (legal_basis), the
false positives it is known for, a match expression, and examples that must and must not
match.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Category = Literal["support", "campaign_share", "attack", "money_politics"]
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["experimental", "test", "stable"]

RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clean_terms(value: list[object]) -> list[str]:
    terms = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"istilah {item!r} bukan teks; beri tanda kutip")
        if not item.strip():
            raise ValueError("istilah kosong")
        terms.append(item.strip())
    return terms


class MatchSpec(_Strict):
    """``any``: at least one term; ``all``: every term; ``none``: no term."""

    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)

    @field_validator("any", "all", "none", mode="before")
    @classmethod
    def _terms(cls, value: object) -> object:
        return _clean_terms(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _not_empty(self) -> MatchSpec:
        if not self.any and not self.all:
            raise ValueError("match butuh paling sedikit satu istilah di 'any' atau 'all'")
        return self


class Examples(_Strict):
    match: list[str] = Field(default_factory=list)
    no_match: list[str] = Field(default_factory=list)


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID, max_length=100)
    title: str = Field(min_length=1)
    category: Category
    severity: Severity
    status: Status = "experimental"
    legal_basis: list[str] = Field(min_length=1)
    description: str = ""
    false_positives: list[str] = Field(default_factory=list)
    match: MatchSpec
    examples: Examples = Examples()


class RuleFile(_Strict):
    rules: list[Rule] = Field(default_factory=list)
