"""monitor.yamlfile: safe loading, duplicate and merge keys refused, every problem located."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import InputError, Problem, YamlError
from monitor.yamlfile import (
    Position,
    YamlDocument,
    load_yaml,
    loads_yaml,
    validation_problems,
)


def problems_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(YamlError) as caught:
        loads_yaml(text, "f.yaml")
    return [(p.line, p.col, p.code) for p in caught.value.problems]


# -- positions --------------------------------------------------------------------------

NESTED = """\
top:
  name: demo
  items:
    - first
    - key: value
      other: [a, [b, c], {d: e}]
    -
      - deep
flow: {x: 1, y: [2, 3]}
"""


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        pytest.param((), (1, 1), id="document"),
        pytest.param(("top",), (2, 3), id="mapping-value-starts-at-first-key"),
        pytest.param(("top", "name"), (2, 9), id="scalar-value"),
        pytest.param(("top", "items"), (4, 5), id="block-sequence"),
        pytest.param(("top", "items", 0), (4, 7), id="sequence-item"),
        pytest.param(("top", "items", 1, "key"), (5, 12), id="mapping-in-sequence"),
        pytest.param(("top", "items", 1, "other", 1), (6, 18), id="flow-sequence-in-flow"),
        pytest.param(("top", "items", 1, "other", 1, 1), (6, 22), id="nested-flow-item"),
        pytest.param(("top", "items", 1, "other", 2, "d"), (6, 30), id="flow-mapping-value"),
        pytest.param(("top", "items", 2, 0), (8, 9), id="sequence-in-sequence"),
        pytest.param(("flow", "y", 1), (9, 21), id="flow-mapping-sequence"),
    ],
)
def test_value_positions_are_one_based(loc: tuple[str | int, ...], expected: tuple[int, int]):
    doc = loads_yaml(NESTED, "f.yaml")
    assert doc.position(loc) == Position(*expected)


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        pytest.param(("top",), (1, 1), id="top-level-key"),
        pytest.param(("top", "items"), (3, 3), id="nested-key"),
        pytest.param(("top", "items", 1, "other"), (6, 7), id="key-in-sequence-item"),
        pytest.param(("top", "items", 1, "other", 2, "d"), (6, 27), id="key-in-flow-mapping"),
        pytest.param(("flow", "y"), (9, 14), id="flow-key"),
    ],
)
def test_key_positions(loc: tuple[str | int, ...], expected: tuple[int, int]):
    doc = loads_yaml(NESTED, "f.yaml")
    assert doc.keys[loc] == Position(*expected)
    assert doc.position(loc, key=True) == Position(*expected)


def test_data_is_plain_python():
    doc = loads_yaml(NESTED, "f.yaml")
    assert doc.data == {
        "top": {
            "name": "demo",
            "items": ["first", {"key": "value", "other": ["a", ["b", "c"], {"d": "e"}]}, ["deep"]],
        },
        "flow": {"x": 1, "y": [2, 3]},
    }


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        pytest.param(("top", "missing"), (2, 3), id="missing-key-falls-back-to-mapping"),
        pytest.param(("top", "items", 7), (4, 5), id="missing-index-falls-back-to-list"),
        pytest.param(("nowhere", "at", "all"), (1, 1), id="falls-back-to-document"),
    ],
)
def test_position_falls_back_to_nearest_enclosing_node(
    loc: tuple[str | int, ...], expected: tuple[int, int]
):
    doc = loads_yaml(NESTED, "f.yaml")
    assert doc.position(loc) == Position(*expected)


def test_problem_is_located_and_formatted():
    doc = loads_yaml(NESTED, "conf/f.yaml")
    problem = doc.problem(("top", "name"), "pesan", "some-code")
    assert problem == Problem("conf/f.yaml", 2, 9, "pesan", "some-code")
    assert str(problem) == "conf/f.yaml:2:9: error: pesan [some-code]"


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        pytest.param(Problem("a.yaml", 3, 7, "m", "c"), "a.yaml:3:7: error: m [c]", id="line-col"),
        pytest.param(Problem("a.yaml", 3, 0, "m", "c"), "a.yaml:3: error: m [c]", id="line-only"),
        pytest.param(Problem("a.yaml", 0, 0, "m", "c"), "a.yaml: error: m [c]", id="whole-file"),
        pytest.param(
            Problem("a.yaml", 1, 1, "m", "c", "warning"), "a.yaml:1:1: warning: m [c]", id="warn"
        ),
    ],
)
def test_problem_text(problem: Problem, text: str):
    assert str(problem) == text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("\n\n", id="blank-lines"),
        pytest.param("# only a comment\n", id="comment"),
        pytest.param("---\n", id="document-marker"),
    ],
)
def test_empty_document_loads_as_none(text: str):
    doc = loads_yaml(text, "f.yaml")
    assert doc.data is None
    assert doc.keys == {}


# -- duplicate keys, merge keys, everything reported ------------------------------------


def test_duplicate_key_names_both_lines():
    with pytest.raises(YamlError) as caught:
        loads_yaml("name: a\nother: 1\nname: b\n", "f.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.code) == (3, 1, "duplicate-key")
    assert "'name'" in problem.message
    assert "baris 1" in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a: 1\nb: 2\na: 3\nb: 4\n",
            [(3, 1, "duplicate-key"), (4, 1, "duplicate-key")],
            id="two-duplicates-both-reported",
        ),
        pytest.param(
            "a: 1\na: 2\na: 3\n",
            [(2, 1, "duplicate-key"), (3, 1, "duplicate-key")],
            id="triplicate",
        ),
        pytest.param(
            "outer:\n  inner:\n    x: 1\n    x: 2\n",
            [(4, 5, "duplicate-key")],
            id="nested-mapping",
        ),
        pytest.param(
            "rules:\n  - id: a\n    id: b\n  - id: c\n    title: t\n    title: u\n",
            [(3, 5, "duplicate-key"), (6, 5, "duplicate-key")],
            id="in-sequence-items",
        ),
        pytest.param("a: {x: 1, x: 2}\n", [(1, 11, "duplicate-key")], id="flow-mapping"),
        pytest.param(
            "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", [(3, 3, "merge-key")], id="merge-key"
        ),
        pytest.param(
            "base: &b {x: 1}\nc: {<<: *b}\n", [(2, 5, "merge-key")], id="merge-key-in-flow"
        ),
        pytest.param(
            "a: 1\nbase: &b {x: 1}\nc:\n  <<: *b\na: 2\nd:\n  e: 1\n  e: 2\n",
            [(4, 3, "merge-key"), (5, 1, "duplicate-key"), (8, 3, "duplicate-key")],
            id="all-problems-not-just-the-first",
        ),
        pytest.param("? [a, b]\n: 1\n", [(1, 3, "bad-key")], id="complex-key"),
        pytest.param("a: &x [*x]\n", [(1, 4, "recursive-alias")], id="recursive-alias"),
        pytest.param("a: &x {b: *x}\n", [(1, 4, "recursive-alias")], id="recursive-alias-map"),
        pytest.param(
            "a: !!python/object/apply:os.system ['true']\n",
            [(1, 4, "unsupported-tag")],
            id="python-object-tag",
        ),
        pytest.param("a: !!set {x, y}\n", [(1, 4, "unsupported-tag")], id="set"),
        pytest.param(
            "a: !!omap [x: 1]\nb: 1\nb: 2\n",
            [(1, 4, "unsupported-tag"), (3, 1, "duplicate-key")],
            id="omap-and-more",
        ),
    ],
)
def test_refused_constructs(text: str, expected: list[tuple[int, int, str]]):
    assert problems_of(text) == expected


def test_standard_tags_are_data():
    doc = loads_yaml("a: !!map {x: 1}\nb: !!seq [1]\nc: !!str 5\nd: !!int '7'\n", "f.yaml")
    assert doc.data == {"a": {"x": 1}, "b": [1], "c": "5", "d": 7}


def test_aliases_that_do_not_recurse_expand():
    doc = loads_yaml("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    assert problems_of("\n".join(lines) + "\n") == [(1, 1, "too-large")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("no: 1\nyes: 2\non: 3\n", {"no": 1, "yes": 2, "on": 3}, id="yaml11-words"),
        pytest.param("yes: a\n1: b\n", {"yes": "a", 1: "b"}, id="yes-and-1-do-not-collide"),
        pytest.param("no: a\n0: b\n", {"no": "a", 0: "b"}, id="no-and-0-do-not-collide"),
        pytest.param("~: a\n1.5: b\n", {"~": "a", "1.5": "b"}, id="null-and-float-as-text"),
    ],
)
def test_keys_are_what_was_written(text: str, expected: dict[object, object]):
    assert loads_yaml(text, "f.yaml").data == expected


# -- syntax errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param("a: [1, 2\n", 2, 1, id="unclosed-flow-sequence"),
        pytest.param("a: 1\n b: 2\n", 2, 3, id="bad-indentation"),
        pytest.param("a: 1\n\tb: 2\n", 2, 1, id="tab"),
        pytest.param("a: 'open\n", 2, 1, id="unclosed-quote"),
        pytest.param("a: 1\n---\nb: 2\n", 2, 1, id="two-documents"),
        pytest.param("- a\nb: 1\n", 2, 1, id="sequence-then-mapping"),
        pytest.param("a: *nowhere\n", 1, 4, id="undefined-alias"),
        pytest.param("a: !!python/name:os.system\n", 1, 4, id="python-scalar-tag"),
        pytest.param("a: !mine x\n", 1, 4, id="unknown-tag"),
        pytest.param("a: 1\nb: x\x07y\n", 2, 5, id="control-character"),
        pytest.param("\x00", 1, 1, id="nul"),
    ],
)
def test_syntax_error_is_located(text: str, line: int, col: int):
    with pytest.raises(YamlError) as caught:
        loads_yaml(text, "f.yaml")
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.col, problem.code) == (
        "f.yaml",
        line,
        col,
        "yaml-syntax",
    )
    assert "YAML tidak valid" in problem.message


def test_yaml_error_is_an_input_error():
    with pytest.raises(InputError):
        loads_yaml("a: 1\na: 2\n")


# -- YAML 1.1 booleans ------------------------------------------------------------------


def test_unquoted_yaml11_booleans_are_remembered():
    doc = loads_yaml("a: no\nb: 'no'\nc: true\nd: [on, Off, yes, x]\ne: False\n", "f.yaml")
    assert doc.data == {
        "a": False,
        "b": "no",
        "c": True,
        "d": [True, False, True, "x"],
        "e": False,
    }
    assert doc.yaml11_bools == {("a",): "no", ("d", 0): "on", ("d", 1): "Off", ("d", 2): "yes"}


# -- files ------------------------------------------------------------------------------


def test_load_yaml_reads_a_file(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text("a:\n  b: ü\n", encoding="utf-8")
    doc = load_yaml(path)
    assert doc.path == str(path)
    assert doc.data == {"a": {"b": "ü"}}
    assert doc.position(("a", "b")) == Position(2, 6)


def unreadable(folder: Path, kind: str) -> Path:
    if kind == "missing":
        return folder / "absent.yaml"
    if kind == "not-utf8":
        path = folder / "latin1.yaml"
        path.write_bytes(b"a: caf\xe9\n")
        return path
    return folder  # a directory


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        pytest.param("missing", "not-found", id="missing"),
        pytest.param("not-utf8", "encoding", id="not-utf8"),
        pytest.param("directory", "io", id="directory"),
    ],
)
def test_unreadable_file_is_a_problem_for_the_whole_file(tmp_path: Path, kind: str, code: str):
    path = unreadable(tmp_path, kind)
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.col, problem.code) == (str(path), 0, 0, code)


def test_problems_in_a_file_carry_its_path(tmp_path: Path):
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    assert (
        str(caught.value)
        == f"{path}:2:1: error: kunci 'a' ganda (pertama di baris 1) [duplicate-key]"
    )


# -- pydantic errors, located -----------------------------------------------------------


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int = 0


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "t"
    level: Literal["low", "high"] = "low"
    count: int = Field(default=1, ge=1)
    words: list[str] = Field(default_factory=list)
    inner: Inner | None = None
    items: list[Inner] = Field(default_factory=list)
    named: dict[str, Inner] = Field(default_factory=dict)
    either: int | list[int] = 0
    ratio: float = 0.5
    code: str = Field(default="a", pattern=r"^[a-z]+$")
    tags: list[str] = Field(default_factory=lambda: ["x"], min_length=1)


def located(text: str, prefix: tuple[str | int, ...] = ()) -> list[tuple[int, int, str, str]]:
    doc = loads_yaml(text, "f.yaml")
    data = doc.data
    for part in prefix:
        data = data[part]
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    return sorted(
        (p.line, p.col, p.code, p.message) for p in validation_problems(doc, caught.value, prefix)
    )


@pytest.mark.parametrize(
    ("text", "line", "col", "code", "words"),
    [
        pytest.param("bogus: 1\n", 1, 1, "unknown-key", ["'bogus'"], id="unknown-key"),
        pytest.param(
            "inner:\n  name: a\n  extra: 2\n", 3, 3, "unknown-key", ["'extra'"], id="nested-unknown"
        ),
        pytest.param(
            "inner:\n  size: 1\n", 2, 3, "missing-key", ["'name'"], id="missing-at-mapping"
        ),
        pytest.param("title: [a]\n", 1, 8, "invalid-value", ["teks"], id="wrong-type"),
        pytest.param("count: x\n", 1, 8, "invalid-value", ["bilangan bulat"], id="not-int"),
        pytest.param("count: 0\n", 1, 8, "invalid-value", ["paling kecil 1"], id="too-small"),
        pytest.param("ratio: x\n", 1, 8, "invalid-value", ["angka"], id="not-number"),
        pytest.param(
            "level: mid\n", 1, 8, "invalid-value", ["'mid'", "'low'", "atau 'high'"], id="choice"
        ),
        pytest.param("code: A1\n", 1, 7, "invalid-value", ["pola"], id="pattern"),
        pytest.param("tags: []\n", 1, 7, "invalid-value", ["paling sedikit 1"], id="too-short"),
        pytest.param(
            "words:\n  - ok\n  - [x]\n", 3, 5, "invalid-value", ["teks"], id="item-in-sequence"
        ),
        pytest.param(
            "items:\n  - name: a\n  - name: b\n    size: big\n",
            4,
            11,
            "invalid-value",
            ["bilangan bulat"],
            id="mapping-in-sequence",
        ),
        pytest.param(
            "words: [a, no]\n",
            1,
            12,
            "invalid-value",
            ["teks", 'beri tanda kutip: "no"'],
            id="yaml11-boolean-hint",
        ),
        pytest.param(
            "title: Yes\n", 1, 8, "invalid-value", ['beri tanda kutip: "Yes"'], id="yaml11-title"
        ),
        pytest.param(
            "named:\n  list:\n    name: a\n    bad: 1\n",
            4,
            5,
            "unknown-key",
            ["'bad'"],
            id="key-named-like-a-type-is-kept",
        ),
        pytest.param(
            "named:\n  str:\n    size: 1\n",
            3,
            5,
            "missing-key",
            ["'name'"],
            id="missing-under-key-named-str",
        ),
        pytest.param(
            "named:\n  7:\n    name: a\n", 2, 3, "invalid-value", ["kunci 7", "teks"], id="bad-key"
        ),
    ],
)
def test_validation_problem_is_located(text: str, line: int, col: int, code: str, words: list[str]):
    [(got_line, got_col, got_code, message)] = located(text)
    assert (got_line, got_col, got_code) == (line, col, code)
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pydantic puts 'int' and 'list[int]' into loc; each problem lands on what was written
        pytest.param("either: x\n", [(1, 9), (1, 9)], id="neither-member"),
        pytest.param("either: [1, x]\n", [(1, 9), (1, 13)], id="list-member-item"),
    ],
)
def test_union_member_names_are_dropped_from_the_location(
    text: str, expected: list[tuple[int, int]]
):
    assert [(line, col) for line, col, _, _ in located(text)] == expected


def test_every_validation_problem_is_reported():
    text = "bogus: 1\ncount: 0\nlevel: mid\ninner:\n  size: x\n"
    assert [(line, col, code) for line, col, code, _ in located(text)] == [
        (1, 1, "unknown-key"),
        (2, 8, "invalid-value"),
        (3, 8, "invalid-value"),
        (5, 3, "missing-key"),
        (5, 9, "invalid-value"),
    ]


def test_prefix_locates_a_part_of_the_document():
    text = "plugins:\n  demo:\n    bogus: 1\n    count: 0\n"
    assert [(line, col, code) for line, col, code, _ in located(text, ("plugins", "demo"))] == [
        (3, 5, "unknown-key"),
        (4, 12, "invalid-value"),
    ]


def test_document_positions_can_be_built_by_hand():
    doc = YamlDocument("x.yaml", {"a": 1}, values={("a",): Position(4, 2)})
    assert doc.problem(("a", "b"), "m", "c").line == 4


def test_an_impossible_date_is_a_located_problem_not_a_crash() -> None:
    with pytest.raises(YamlError) as caught:
        loads_yaml("a: 1\nwhen: 2024-02-30\nalso: [2023-13-01]\n", "x.yaml")
    problems = caught.value.problems
    assert [(p.line, p.col, p.code) for p in problems] == [(2, 7, "bad-value"), (3, 8, "bad-value")]
    assert "'2024-02-30' tidak valid: day is out of range" in problems[0].message
