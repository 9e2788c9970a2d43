"""Build ConnectWise `conditions` strings from values, never from pasted user text.

Every value goes through `literal()`: strings are double-quoted with `\\` and `"` escaped,
so a summary such as `a "b" & c) OR (1=1` stays one string literal; requests URL-encodes the
whole parameter. `contains` and `like` values are SQL LIKE patterns on the server (`%`, `_`,
`[` and ConnectWise's `*` are wildcards), so `C.contains` escapes user text with
`like_escape()` and a search for `50%_off [test]` means exactly those characters.

[UNCERTAIN] ConnectWise does not document how to escape a `"` inside a string literal;
backslash-escaping is the reading that cannot end the literal early. Callers matching free
text should still confirm matches client-side (see `ConnectWiseClient.search_companies`).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")


def literal(value) -> str:
    """One value as a conditions literal: string, number, boolean, null or [datetime]."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes in conditions must be timezone-aware")
        return "[" + value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") + "]"
    if isinstance(value, date):
        return f"[{value.isoformat()}T00:00:00Z]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot use {type(value).__name__} in a ConnectWise condition")


def like_escape(text: str) -> str:
    """User text as a LIKE pattern matching only itself: each wildcard in brackets (`[` as `[[]`).

    [UNCERTAIN] ConnectWise documents `*` as its wildcard but not how to escape one; `[*]` is the
    SQL Server reading. Free-text callers re-check their results (`ConnectWiseClient.search_*`)."""
    return "".join(f"[{ch}]" if ch in "%_[*" else ch for ch in text)


def field(path: str) -> str:
    """A field path such as `board/id`; anything else is refused so it cannot inject syntax."""
    if not _FIELD_PATH.match(path):
        raise ValueError(f"not a ConnectWise field path: {path!r}")
    return path


def _comparison(operator: str):
    def build(path, value):
        return f"{field(path)} {operator} {literal(value)}"

    return staticmethod(build)


class C:
    """Condition builders: `C.and_(C.eq("closedFlag", False), C.in_("board/id", [1, 2]))`."""

    eq, ne, lt, le, gt, ge = (_comparison(op) for op in ("=", "!=", "<", "<=", ">", ">="))

    @staticmethod
    def contains(path, text: str):
        """`text` (user text, matched literally) anywhere in the field."""
        return f"{field(path)} contains {literal(like_escape(str(text)))}"

    @staticmethod
    def in_(path, values):
        values = list(values)
        if not values:
            raise ValueError("an `in` condition needs at least one value")
        return f"{field(path)} in ({','.join(literal(v) for v in values)})"

    @staticmethod
    def not_in(path, values):
        """`not` combined with `in` (REFERENCE §3.1)."""
        return C.in_(path, values).replace(" in (", " not in (", 1)

    @staticmethod
    def and_(*conditions):
        return _join(" AND ", conditions)

    @staticmethod
    def or_(*conditions):
        return _join(" OR ", conditions)


def _join(operator: str, conditions) -> str:
    """Parenthesise each part so AND/OR precedence can never regroup them."""
    parts = [c for c in conditions if c]
    if len(parts) == 1:
        return parts[0]
    return operator.join(f"({c})" for c in parts)
