"""Numbers from URLs and query strings are bounded to what the database can hold (PRODUCT §4).

An id beyond what an id column holds is not a page that could exist: the URL converter refuses it
(404) before the view runs, and `request.args.get(name, type=int)` treats it as absent, for every
route at once. The ids are `Integer` columns, which PostgreSQL keeps in 32 bits (SQLite in 64), so
the bound is 2^31-1: anything larger, up to and beyond 64 bits, is a 404 on both databases.
"""
import builtins

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

DATABASE_INT_MAX = 2**31 - 1  # PostgreSQL `integer`; SQLite's INTEGER holds more


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only 0…2^31-1: a larger id is a 404, never an OverflowError or DataError."""

    def __init__(self, map, fixed_digits=0, min=None, max=DATABASE_INT_MAX, signed=False):  # noqa: A002 - werkzeug's names
        bounded_max = DATABASE_INT_MAX if max is None else builtins.min(max, DATABASE_INT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded_max, signed=signed)


def bounded_int(value: str) -> int:
    """`int()` for request parameters: a value no Integer column holds is a ValueError."""
    number = int(value)
    if not -DATABASE_INT_MAX - 1 <= number <= DATABASE_INT_MAX:
        raise ValueError(f"{value!r} is out of range")
    return number


class BoundedParameters(ImmutableMultiDict):
    """Query and form parameters whose `type=int` conversions use `bounded_int`."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002 - werkzeug's signature
        return super().getlist(key, bounded_int if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedParameters


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules pick their converters when added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = BoundedRequest
