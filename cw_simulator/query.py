"""Parse the `conditions`, `orderBy` and `fields` query parameters as ConnectWise does.

Strings compare case-insensitively (CW runs on a case-insensitive SQL collation). `contains`
and `like` values are SQL Server LIKE patterns, as on ConnectWise: `%` and `*` match any run,
`_` one character, `[abc]`/`[^a]`/`[a-z]` a class, so `[[]`, `[%]`, `[_]`, `[*]` are the
literal characters; `contains` matches the pattern anywhere, `like` the whole value. Field names are
case-sensitive and their first segment must exist on the model: an unknown field in
conditions, orderBy or fields is refused with 400 rather than ignored, so a typo in the
client cannot silently widen or reorder a result.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from cw_simulator.cw_errors import ApiError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<datetime>\[[^\]]*\])
    | (?P<number>-?\d+(?:\.\d+)?)(?![A-Za-z_])
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "contains", "like", "in", "true", "false", "null"}
_MISSING = object()


def bad_query(parameter: str, message: str) -> ApiError:
    return ApiError(400, "InvalidObject", f"{parameter} object is invalid",
                    [{"code": "InvalidField", "message": message, "resource": parameter, "field": parameter}])


def parse_datetime(text: str) -> datetime:
    """ISO-8601 UTC as ConnectWise writes it (`2024-01-01T00:00:00Z`)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def path_value(record: dict, parts: tuple[str, ...]):
    value = record
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def check_field(path: str, model_fields, parameter: str) -> tuple[str, ...]:
    parts = tuple(path.split("/"))
    if parts == ("lastUpdated",) and "lastUpdated" not in model_fields and parameter == "conditions":
        # Public clients filter on a top-level `lastUpdated` (django-connectwise's ticket sync) as
        # well as `_info/lastUpdated` (REFERENCE §3.1): both read the record's last update.
        return ("_info", "lastUpdated")
    if parts[0] not in model_fields:
        raise bad_query(parameter, f"Unknown field {path}.")
    return parts


class _Parser:
    def __init__(self, text: str, model_fields):
        self.tokens = self._tokenize(text)
        self.position = 0
        self.model_fields = model_fields

    @staticmethod
    def _tokenize(text):
        tokens, position = [], 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if not match:
                raise bad_query("conditions", f"Cannot parse conditions near: {text[position:position + 20]}")
            kind = match.lastgroup
            raw = match.group(kind)
            if kind == "word" and raw.lower() in _KEYWORDS:
                kind, raw = "keyword", raw.lower()
            tokens.append((kind, raw))
            position = match.end()
        return tokens

    def peek(self, kind=None, value=None):
        if self.position >= len(self.tokens):
            return None
        token = self.tokens[self.position]
        if (kind and token[0] != kind) or (value and token[1] != value):
            return None
        return token

    def take(self, kind=None, value=None):
        token = self.peek(kind, value)
        if token is None:
            found = self.tokens[self.position][1] if self.position < len(self.tokens) else "end of conditions"
            raise bad_query("conditions", f"Expected {value or kind} but found {found}.")
        self.position += 1
        return token

    def parse(self):
        predicate = self.expression()
        if self.peek():
            raise bad_query("conditions", f"Unexpected {self.peek()[1]} in conditions.")
        return predicate

    def expression(self):
        parts = [self.term()]
        while self.peek("keyword", "or"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def term(self):
        parts = [self.factor()]
        while self.peek("keyword", "and"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def factor(self):
        if self.peek("punct", "("):
            self.take()
            inner = self.expression()
            self.take("punct", ")")
            return inner
        return self.comparison()

    def comparison(self):
        parts = check_field(self.take("word")[1], self.model_fields, "conditions")
        negate = bool(self.peek("keyword", "not")) and self.take()
        if self.peek("keyword", "contains") or self.peek("keyword", "like"):
            operator = self.take()[1]
            pattern = self.take("string")
            test = _contains(pattern_text(pattern)) if operator == "contains" else _like(pattern_text(pattern))
        elif self.peek("keyword", "in"):
            self.take()
            self.take("punct", "(")
            values = [self.value()]
            while self.peek("punct", ","):
                self.take()
                values.append(self.value())
            self.take("punct", ")")
            test = _in(values)
        elif not negate:
            operator = self.take("op")[1]
            test = _COMPARE[operator](self.value())
        else:
            raise bad_query("conditions", "`not` must be followed by contains, like or in.")
        if negate:
            return lambda r: not test(path_value(r, parts))
        return lambda r: test(path_value(r, parts))

    def value(self):
        token = self.peek()
        if token is None:
            raise bad_query("conditions", "A value is missing at the end of conditions.")
        kind, raw = self.take()
        if kind == "string":
            return pattern_text((kind, raw))
        if kind == "number":
            return float(raw) if "." in raw else int(raw)
        if kind == "datetime":
            try:
                return parse_datetime(raw[1:-1])
            except ValueError:
                raise bad_query("conditions", f"Invalid date {raw}.") from None
        if kind == "keyword" and raw in ("true", "false"):
            return raw == "true"
        if kind == "keyword" and raw == "null":
            return None
        raise bad_query("conditions", f"Expected a value but found {raw}.")


def pattern_text(token) -> str:
    """The content of a string literal with backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", token[1][1:-1])


def _normal(value, like):
    """Bring a record value to the type of the literal it is compared with, or _MISSING."""
    if like is None or value is None:
        return value
    if isinstance(like, bool):
        return value if isinstance(value, bool) else _MISSING
    if isinstance(like, (int, float)):
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _MISSING
    if isinstance(like, datetime):
        try:
            return parse_datetime(value) if isinstance(value, str) else _MISSING
        except ValueError:
            return _MISSING
    return value.casefold() if isinstance(value, str) else _MISSING


def _literal(value):
    return value.casefold() if isinstance(value, str) else value


def _equal(value, literal):
    if literal is None:
        return value is None
    return _normal(value, literal) == _literal(literal)


def _ordered(operator):
    def build(literal):
        def test(value):
            value = _normal(value, literal)
            return value is not None and value is not _MISSING and literal is not None and operator(value, _literal(literal))
        return test
    return build


_COMPARE = {
    "=": lambda lit: lambda v: _equal(v, lit),
    "!=": lambda lit: lambda v: not _equal(v, lit),
    "<": _ordered(lambda a, b: a < b),
    "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b),
    ">=": _ordered(lambda a, b: a >= b),
}


def _any_of(parts):
    def test(record):
        for part in parts:
            if part(record):
                return True
        return False
    return test


def _all_of(parts):
    def test(record):
        for part in parts:
            if not part(record):
                return False
        return True
    return test


def _in(values):
    """Set lookups for the common all-int / all-string lists (config sync filters 20,000 rows)."""
    if all(type(v) is int for v in values):
        wanted = set(values)
        return lambda v: type(v) is int and v in wanted
    if all(isinstance(v, str) for v in values):
        wanted = {v.casefold() for v in values}
        return lambda v: isinstance(v, str) and v.casefold() in wanted
    return lambda v: any(_equal(v, x) for x in values)


def _contains(text):
    compiled = re.compile(like_regex(text), re.IGNORECASE | re.DOTALL)
    return lambda v: isinstance(v, str) and bool(compiled.search(v))


def _like(text):
    compiled = re.compile(like_regex(text), re.IGNORECASE | re.DOTALL)
    return lambda v: isinstance(v, str) and bool(compiled.fullmatch(v))


def like_regex(pattern: str) -> str:
    """A SQL Server LIKE pattern (with ConnectWise's `*` for `%`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        end = pattern.find("]", i + 2) if ch == "[" else -1
        if ch in "%*":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif end != -1:
            body = pattern[i + 1:end]
            negate = body.startswith("^") and len(body) > 1
            members = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + "".join(c if c == "-" else re.escape(c) for c in members) + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def parse_conditions(text: str | None, model_fields):
    """A predicate over records; None when there are no conditions."""
    if not text or not text.strip():
        return None
    return _Parser(text, model_fields).parse()


def parse_order_by(text: str | None, model_fields):
    """[(path parts, descending)] from `orderBy=a/b desc, c`."""
    keys = []
    for item in (text or "").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad_query("orderBy", f"Cannot parse orderBy item {item.strip()!r}.")
        keys.append((check_field(words[0], model_fields, "orderBy"), len(words) == 2 and words[1].lower() == "desc"))
    return keys


def sort_records(records: list, keys) -> list:
    """Records arrive in id order, so no keys or `id asc` need no sort."""
    if not keys or keys == [(("id",), False)]:
        return records
    for parts, descending in reversed(keys):
        records = sorted(records, key=lambda r: _sort_key(path_value(r, parts)), reverse=descending)
    return records


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value) if not isinstance(value, dict) else (1, str(value))


def parse_fields(text: str | None, model_fields):
    return [check_field(p.strip(), model_fields, "fields") for p in (text or "").split(",") if p.strip()]


def project(record: dict, fields) -> dict:
    """Only the requested (possibly nested) paths, as `fields=id,board/name` returns."""
    result: dict = {}
    for parts in fields:
        value = path_value(record, parts)
        if value is None and not _has_path(record, parts):
            continue
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def _has_path(record, parts):
    for part in parts:
        if not isinstance(record, dict) or part not in record:
            return False
        record = record[part]
    return True
