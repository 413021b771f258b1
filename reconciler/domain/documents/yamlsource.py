"""Safe YAML parsing that remembers where every value came from.

The loader's first step: bytes of one file → plain JSON-compatible documents, plus
findings for anything unsafe or ambiguous. Built on PyYAML's C parser (falling back to
the pure-Python one) for events and nodes, with our own constructor so that:

* duplicate mapping keys are findings, not silently overwritten;
* alias expansion is bounded (billion-laughs documents are refused, not expanded);
* timestamps stay strings (JSON Schema validates them, and the digest stays stable);
* custom tags, binary scalars and merge keys are refused;
* every value can be traced back to its line and column via a JSON pointer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.domain.findings import Code, Finding, json_pointer

try:  # the C parser is ~10x faster; the pure one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES_PER_DOCUMENT = 200_000
MAX_DEPTH = 64
#: libyaml's composer recurses in C: tens of thousands of nested collections overflow the C
#: stack and kill the process. A collection level needs one indicator character
#: (``[{-?:``), so text with fewer of them cannot nest dangerously deep; other text has its
#: depth measured on the (iterative) event stream before anything is composed.
_INDICATOR_BUDGET = 2_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

_scalars = SafeConstructor()
_SCALAR_CONSTRUCTORS = {
    _INT: _scalars.construct_yaml_int,
    _FLOAT: _scalars.construct_yaml_float,
    _BOOL: _scalars.construct_yaml_bool,
    _NULL: _scalars.construct_yaml_null,
}

Position = tuple[int, int]
PathPart = str | int


class _TooComplex(Exception):
    pass


@dataclass(slots=True)
class YamlDocument:
    """One parsed document of a file: its data and the node tree to locate values in."""

    index: int
    data: Any
    line: int
    column: int
    root: Node | None = field(default=None, repr=False)

    def locate(self, path: tuple[PathPart, ...] | list[PathPart], *, key: bool = False) -> Position:
        """Line/column (1-based) of the value at ``path``; of the key itself when ``key``.

        Walks as deep as the path exists and returns the deepest position found, so a
        finding about a missing field points at the object that lacks it.
        """
        node = self.root
        if node is None:
            return self.line, self.column
        best = _position(node)
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                        best = _position(key_node if (key and last) else value_node)
                        node = value_node
                        break
                else:
                    return best
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                    best = _position(node)
                else:
                    return best
            else:
                return best
        return best

    def release(self) -> None:
        """Drop the node tree once no more positions are needed (it is the big part)."""
        self.root = None


def _position(node: Node) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


@dataclass(slots=True)
class ParsedFile:
    documents: list[YamlDocument]
    findings: list[Finding]


def parse_yaml(text: str, file: str) -> ParsedFile:
    """Parse every document of ``text``; problems become findings against ``file``."""
    findings: list[Finding] = []
    documents: list[YamlDocument] = []
    try:
        if sum(text.count(c) for c in "[{-?:") > _INDICATOR_BUDGET:
            deep = _first_too_deep(text)
            if deep is not None:
                message = f"nesting deeper than {MAX_DEPTH} levels"
                return ParsedFile([], [Finding(file, *deep, "", Code.YAML_TOO_COMPLEX, message)])
        for index, root in enumerate(_compose_all(text)):
            if root is None:
                continue
            builder = _Builder(file, findings)
            try:
                data = builder.build(root, (), 0)
            except _TooComplex as exc:
                line, column = _position(root)
                findings.append(
                    Finding(file, line, column, "", Code.YAML_TOO_COMPLEX, str(exc)),
                )
                continue
            line, column = _position(root)
            documents.append(YamlDocument(index, data, line, column, root))
    except yaml.MarkedYAMLError as exc:
        findings.append(_syntax_finding(exc, file))
    except yaml.reader.ReaderError as exc:
        offset = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        message = f"invalid YAML: character {exc.character!r} is not allowed ({exc.reason})"
        findings.append(Finding(file, line, column, "", Code.YAML_SYNTAX, message))
    except yaml.YAMLError as exc:  # errors without a position
        findings.append(Finding(file, 1, 1, "", Code.YAML_SYNTAX, f"invalid YAML: {exc}"))
    except RecursionError:
        findings.append(
            Finding(file, 1, 1, "", Code.YAML_TOO_COMPLEX, f"nesting deeper than {MAX_DEPTH}")
        )
    return ParsedFile(documents, findings)


def _is_parser_depth_limit(exc: yaml.MarkedYAMLError) -> bool:
    """Whether libyaml's own nesting limit stopped the scan (PyYAML 6.0.4's bundled libyaml
    stops at 1,000 levels: "exceeded maximum nesting depth"), which may come before our
    event-stream count sees a deep level because the scanner reads ahead."""
    return "nesting depth" in (exc.problem or "")


def _first_too_deep(text: str) -> Position | None:
    """Where the event stream first nests deeper than MAX_DEPTH, if it does."""
    loader = _Loader(text)
    depth = 0
    try:
        while True:
            try:
                event = loader.get_event()
            except yaml.MarkedYAMLError as exc:
                if not _is_parser_depth_limit(exc):
                    raise
                stopped = exc.problem_mark or exc.context_mark
                return (stopped.line + 1, stopped.column + 1) if stopped else (1, 1)
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return (mark.line + 1, mark.column + 1) if mark else (1, 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _compose_all(text: str) -> Iterator[Node | None]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def _syntax_finding(exc: yaml.MarkedYAMLError, file: str) -> Finding:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    if _is_parser_depth_limit(exc):
        message = f"nesting deeper than the YAML parser allows ({problem})"
        return Finding(file, line, column, "", Code.YAML_TOO_COMPLEX, message)
    if "tab" in problem.lower() or "'\\t'" in problem:
        return Finding(
            file,
            line,
            column,
            "",
            Code.YAML_TAB,
            "tab character where YAML allows only spaces (indent with spaces)",
        )
    context = f" {exc.context}" if exc.context else ""
    return Finding(file, line, column, "", Code.YAML_SYNTAX, f"invalid YAML:{context} {problem}")


class _Builder:
    """Turns a node tree into plain data, counting nodes so alias bombs stop early."""

    __slots__ = ("file", "findings", "nodes")

    def __init__(self, file: str, findings: list[Finding]) -> None:
        self.file = file
        self.findings = findings
        self.nodes = 0

    def build(self, node: Node, path: tuple[PathPart, ...], depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES_PER_DOCUMENT:
            raise _TooComplex(
                f"document expands to more than {MAX_NODES_PER_DOCUMENT} values "
                "(anchors/aliases expanding exponentially?)"
            )
        if depth > MAX_DEPTH:
            raise _TooComplex(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self._unsupported(node, path, f"tag {node.tag!r}")
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        raise _TooComplex(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover

    def _scalar(self, node: ScalarNode, path: tuple[PathPart, ...]) -> Any:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return node.value
        constructor = _SCALAR_CONSTRUCTORS.get(tag)
        if constructor is None:
            self._unsupported(node, path, f"tag {tag!r}")
            return node.value
        try:
            value = constructor(node)
        except (ValueError, TypeError, KeyError, yaml.constructor.ConstructorError):
            # an explicit tag on text that is not of that type: !!int abc
            self._unsupported(node, path, f"{node.value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            self._unsupported(node, path, f"non-finite number {node.value!r}")
        return value

    def _mapping(self, node: MappingNode, path: tuple[PathPart, ...], depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self._unsupported(node, path, f"tag {node.tag!r}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._unsupported(key_node, path, "merge key '<<' (write the fields out)")
                continue
            if not isinstance(key_node, ScalarNode):
                self._unsupported(key_node, path, "non-scalar mapping key")
                continue
            # keys stay as written: `on:` is the field "on", not the boolean true
            key = key_node.value
            if key in result:
                line, column = _position(key_node)
                self.findings.append(
                    Finding(
                        self.file,
                        line,
                        column,
                        json_pointer((*path, key)),
                        Code.YAML_DUPLICATE_KEY,
                        f"duplicate key {key!r} (the first occurrence would be silently replaced)",
                    )
                )
                continue
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def _unsupported(self, node: Node, path: tuple[PathPart, ...], what: str) -> None:
        line, column = _position(node)
        self.findings.append(
            Finding(
                self.file,
                line,
                column,
                json_pointer(path),
                Code.YAML_UNSUPPORTED,
                f"unsupported YAML: {what}",
            )
        )
