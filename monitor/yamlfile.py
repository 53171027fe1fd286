"""Safe YAML loading that remembers where every key and value came from.

``load_yaml`` refuses duplicate keys and merge keys, reports every such problem (not just
the first) with ``path:line:col``, and keeps a map from key paths such as
``("collectors", "demo", "path")`` to positions, so that a later validation error can be
reported where the person has to fix it. Lines and columns are 1-based.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from monitor.errors import Problem, YamlError

if TYPE_CHECKING:
    from pydantic import ValidationError

Loc = tuple[str | int, ...]

#: Plain scalars that YAML 1.1 reads as booleans although a person meant a word.
YAML11_BOOLS = frozenset(
    {"y", "n", "yes", "no", "on", "off"}
    | {"Y", "N", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}
)


@dataclass(frozen=True)
class Position:
    line: int
    col: int


@dataclass
class YamlDocument:
    """The loaded data plus where each part of it was written."""

    path: str
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
    #: Locations of plain scalars such as ``no`` that YAML 1.1 turned into booleans.
    yaml11_bools: dict[Loc, str] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """Where ``loc`` was written; falls back to the nearest enclosing node."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Position(1, 1))

    def problem(
        self, loc: Loc, message: str, code: str, *, key: bool = False, severity: str = "error"
    ) -> Problem:
        pos = self.position(loc, key=key)
        return Problem(self.path, pos.line, pos.col, message, code, severity)  # type: ignore[arg-type]


def _position(mark: yaml.Mark | None) -> Position:
    if mark is None:
        return Position(0, 0)
    return Position(mark.line + 1, mark.column + 1)


#: Most nodes one document may expand to; aliases of aliases ("billion laughs") stop here.
MAX_NODES = 250_000


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.problems: list[Problem] = []
        self.count = 0
        #: Collection nodes being built: an alias back to one of them is recursive.
        self.open: set[int] = set()

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        self.doc.values[loc] = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.tag not in (_MAP_TAG, _SEQ_TAG):
                # !!set, !!omap, !!python/object...: not data a person edits here
                pos = _position(node.start_mark)
                self.problems.append(
                    Problem(
                        self.doc.path,
                        pos.line,
                        pos.col,
                        f"tag {node.tag!r} tidak didukung",
                        "unsupported-tag",
                    )
                )
                return None
            if id(node) in self.open:
                pos = _position(node.start_mark)
                self.problems.append(
                    Problem(
                        self.doc.path,
                        pos.line,
                        pos.col,
                        "alias merujuk ke dirinya sendiri (rekursif)",
                        "recursive-alias",
                    )
                )
                return None
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, loc)
                return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # a scalar PyYAML cannot build, such as the date 2024-02-30
            pos = _position(node.start_mark)
            self.problems.append(
                Problem(
                    self.doc.path,
                    pos.line,
                    pos.col,
                    f"nilai {node.value!r} tidak valid: {exc}",
                    "bad-value",
                )
            )
            return None
        if (
            isinstance(value, bool)
            and isinstance(node, yaml.ScalarNode)
            and node.style is None
            and node.value in YAML11_BOOLS
        ):
            self.doc.yaml11_bools[loc] = node.value
        return value

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                pos = _position(key_node.start_mark)
                self.problems.append(
                    Problem(
                        self.doc.path,
                        pos.line,
                        pos.col,
                        "kunci gabungan '<<' tidak didukung; tulis kuncinya satu per satu",
                        "merge-key",
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                pos = _position(key_node.start_mark)
                self.problems.append(
                    Problem(self.doc.path, pos.line, pos.col, "kunci harus teks biasa", "bad-key")
                )
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if isinstance(key, bool) or not isinstance(key, str | int):
                # ``no:`` is the key "no", not False (and must not collide with ``0:``)
                key = str(key_node.value)
            pos = _position(key_node.start_mark)
            if key in result:
                first = self.doc.keys[(*loc, key)]
                self.problems.append(
                    Problem(
                        self.doc.path,
                        pos.line,
                        pos.col,
                        f"kunci {key!r} ganda (pertama di baris {first.line})",
                        "duplicate-key",
                    )
                )
                continue
            self.doc.keys[(*loc, key)] = pos
            result[key] = self.build(value_node, (*loc, key))
        return result


def loads_yaml(text: str, path: str = "<teks>") -> YamlDocument:
    """Parse one YAML document. An empty document loads as ``None``."""
    doc = YamlDocument(path=path, data=None)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character, checked before parsing
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"YAML tidak valid: karakter #x{exc.character:04x} tidak diizinkan"
        raise YamlError([Problem(path, line, col, message, "yaml-syntax")]) from exc
    builder = _Builder(loader, doc)
    try:
        node = loader.get_single_node()
        if node is None:
            return doc
        doc.data = builder.build(node, ())
    except _TooLarge:
        message = f"dokumen terlalu besar: lebih dari {MAX_NODES} simpul (alias berlapis?)"
        raise YamlError([Problem(path, 1, 1, message, "too-large")]) from None
    except yaml.MarkedYAMLError as exc:
        pos = _position(exc.problem_mark or exc.context_mark)
        message = f"YAML tidak valid: {exc.problem or exc.context}"
        raise YamlError([Problem(path, pos.line, pos.col, message, "yaml-syntax")]) from exc
    except yaml.YAMLError as exc:
        raise YamlError([Problem(path, 0, 0, f"YAML tidak valid: {exc}", "yaml-syntax")]) from exc
    finally:
        loader.dispose()
    if builder.problems:
        raise YamlError(builder.problems)
    return doc


def load_yaml(path: Path | str) -> YamlDocument:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError([Problem(str(p), 0, 0, "berkas tidak ditemukan", "not-found")]) from None
    except UnicodeDecodeError as exc:
        raise YamlError(
            [Problem(str(p), 0, 0, f"berkas bukan UTF-8 ({exc.reason})", "encoding")]
        ) from None
    except OSError as exc:
        raise YamlError([Problem(str(p), 0, 0, f"tidak bisa dibaca: {exc}", "io")]) from None
    return loads_yaml(text, str(p))


_MESSAGES = {
    "missing": "kunci wajib {key!r} tidak ada",
    "extra_forbidden": "kunci {key!r} tidak dikenal",
    "string_type": "harus berupa teks",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "path_type": "harus berupa jalur berkas (teks)",
    "string_too_short": "harus paling sedikit {min_length} karakter",
    "string_too_long": "harus paling banyak {max_length} karakter",
    "string_pattern_mismatch": "tidak sesuai pola {pattern}",
    "too_short": "harus berisi paling sedikit {min_length} butir",
    "too_long": "harus berisi paling banyak {max_length} butir",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "list_type": "harus berupa daftar",
    "dict_type": "harus berupa pemetaan (kunci: nilai)",
    "model_type": "harus berupa pemetaan (kunci: nilai)",
    "date_from_datetime_parsing": "harus berupa tanggal YYYY-MM-DD",
    "date_parsing": "harus berupa tanggal YYYY-MM-DD",
    "date_type": "harus berupa tanggal YYYY-MM-DD",
    "greater_than": "harus lebih dari {gt}",
    "greater_than_equal": "harus paling kecil {ge}",
    "less_than": "harus kurang dari {lt}",
    "less_than_equal": "harus paling besar {le}",
}


def _message(error: Mapping[str, Any], key: str | int | None) -> str:
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    if kind == "literal_error" or kind == "enum":
        head, _, last = str(ctx.get("expected", "")).rpartition(" or ")
        choices = f"{head} atau {last}" if head else last
        return f"nilai {error.get('input')!r} tidak dikenal (pilihan: {choices})"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "tidak boleh kosong"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error["msg"])
    try:
        return template.format(key=key, **ctx)
    except (KeyError, IndexError):  # pragma: no cover - a pydantic context we did not expect
        return str(error["msg"])


def validation_problems(doc: YamlDocument, exc: ValidationError, prefix: Loc = ()) -> list[Problem]:
    """Turn a pydantic ValidationError on ``doc.data`` (or the part at ``prefix``) into
    located problems, in Indonesian, with a hint when YAML 1.1 read a word as a boolean."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc, on_key = _locate(doc, prefix, error["loc"])
        kind = error["type"]
        key = loc[-1] if loc else None
        if kind == "extra_forbidden":
            problems.append(doc.problem(loc, _message(error, key), "unknown-key", key=True))
            continue
        if kind == "missing":
            problems.append(doc.problem(loc[:-1], _message(error, key), "missing-key"))
            continue
        message = _message(error, key)
        if on_key:
            message = f"kunci {key!r}: {message}"
        elif loc in doc.yaml11_bools:
            word = doc.yaml11_bools[loc]
            message += f'; YAML membaca {word} sebagai boolean, beri tanda kutip: "{word}"'
        problems.append(doc.problem(loc, message, "invalid-value", key=on_key))
    return problems


_ABSENT = object()


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict) and part in data:
        return data[part]
    if (
        isinstance(data, list)
        and isinstance(part, int)
        and not isinstance(part, bool)
        and 0 <= part < len(data)
    ):
        return data[part]
    return _ABSENT


def _locate(doc: YamlDocument, prefix: Loc, error_loc: Iterable[str | int]) -> tuple[Loc, bool]:
    """The document location of a pydantic error, and whether it is about a mapping key.

    pydantic puts the member type of a union ('str', 'list[str]') and '[key]' (an invalid
    dict key) into ``loc``; they are dropped, unless the document really has such a key
    (a collector named ``list`` stays ``list``)."""
    data = doc.data
    for part in prefix:
        data = _child(data, part)
    loc = list(prefix)
    for part in error_loc:
        if part == "[key]":
            return tuple(loc), True
        child = _child(data, part)
        if child is _ABSENT and _is_union_tag(part):
            continue
        loc.append(part)
        data = child
    return tuple(loc), False


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the member type name to loc for unions, e.g. 'str' or 'list[str]'
    return isinstance(part, str) and (
        part in {"str", "int", "float", "bool", "list", "dict", "term", "expr"} or "[" in part
    )


def iter_keys(doc: YamlDocument) -> Iterable[Loc]:
    return doc.keys.keys()
