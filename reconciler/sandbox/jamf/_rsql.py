"""Jamf Pro's paged lists and its RSQL filter language.

The Pro API pages lists with a zero-based ``page`` and a ``page-size`` up to 2000,
``sort=field:asc|desc`` (dotted fields, numbers before text, nulls last) and an RSQL
``filter`` (``== != < <= > >= =in= =out=``, ``;`` and, ``,`` or, parentheses, ``*``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.jamf._state import bad

MAX_PAGE_SIZE = 2000


def pro_page(items: list[dict[str, Any]], query: Any, default_sort: str) -> dict[str, Any]:
    flt = query.get("filter")
    if flt:
        try:
            predicate = parse_rsql(flt)
        except ValueError as exc:
            raise bad(400, "INVALID_RSQL_FILTER", "filter", str(exc)) from None
        items = [i for i in items if predicate(i)]
    for spec in reversed(",".join(query.getall("sort", [default_sort])).split(",")):
        key, _, direction = spec.strip().partition(":")
        if key:
            items.sort(
                key=_sort_by(key),
                reverse=direction.lower() == "desc",
            )
    page = _nonneg(query.get("page", "0"), "page")
    size = _nonneg(query.get("page-size", "100"), "page-size")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise bad(
            400,
            "INVALID_FIELD",
            "page-size",
            f"page-size must be between 1 and {MAX_PAGE_SIZE}",
        )
    return {"totalCount": len(items), "results": items[page * size : (page + 1) * size]}


def _nonneg(text: str, name: str) -> int:
    if not text.isdigit():
        raise bad(400, "INVALID_FIELD", name, f"{name} must be a non-negative integer")
    return int(text)


def _sort_by(key: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda item: sort_key(lookup(item, key))


def lookup(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    text = str(value)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text.lower())


# -------------------------------------------------------------------- RSQL
_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<and>;)|(?P<or>,)|(?P<cmp>(?P<sel>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|=in=|=out=|=ge=|=gt=|=le=|=lt=|<=|>=|<|>)\s*(?P<arg>"[^"]*"|\'[^\']*\'|\([^)]*\)|[^;,()\s]+)))'
)


def parse_rsql(text: str) -> Callable[[dict[str, Any]], bool]:
    """Jamf's RSQL: ``== != < <= > >= =in=() =out=()``, ``;`` and, ``,`` or, parentheses."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"Invalid RSQL near {text[pos : pos + 20]!r}")
        tokens.append(match)
        pos = match.end()
    index = 0

    def peek(kind: str) -> bool:
        return index < len(tokens) and tokens[index].group(kind) is not None

    def expr() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        parts = [term()]
        while peek("or"):
            index += 1
            parts.append(term())
        return lambda item: any(p(item) for p in parts)

    def term() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        parts = [factor()]
        while peek("and"):
            index += 1
            parts.append(factor())
        return lambda item: all(p(item) for p in parts)

    def factor() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        if peek("lp"):
            index += 1
            inner = expr()
            if not peek("rp"):
                raise ValueError("Unbalanced parentheses in RSQL")
            index += 1
            return inner
        if not peek("cmp"):
            raise ValueError("Expected a comparison in RSQL")
        match = tokens[index]
        index += 1
        return _comparison(match["sel"], match["op"], match["arg"])

    predicate = expr()
    if index != len(tokens):
        raise ValueError("Unexpected trailing tokens in RSQL")
    return predicate


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _comparison(selector: str, op: str, arg: str) -> Callable[[dict[str, Any]], bool]:
    if op in {"=in=", "=out="}:
        values = {_unquote(v) for v in arg.strip("()").split(",")}
        return lambda item: (str(lookup(item, selector)) in values) == (op == "=in=")
    value = _unquote(arg)
    if op in {"==", "!="}:
        pattern = re.compile(
            "^" + ".*".join(re.escape(p) for p in value.split("*")) + "$", re.IGNORECASE
        )
        return lambda item: bool(pattern.match(str(lookup(item, selector)))) == (op == "==")
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda a, b: a < b,
        "=lt=": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=le=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "=gt=": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "=ge=": lambda a, b: a >= b,
    }
    compare = ops[op]

    def check(item: dict[str, Any]) -> bool:
        current = lookup(item, selector)
        if current is None:
            return False
        left, right = sort_key(current), sort_key(value)
        return left[0] == right[0] and compare(left[1], right[1])

    return check
