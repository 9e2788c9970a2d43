"""Numbers from URLs and query strings are bounded to what the database can hold (PRODUCT §4).

An id beyond 64 bits is not a page that could exist: the URL converter refuses it (404) before
the view runs, and `request.args.get(name, type=int)` treats it as absent, for every route at once.
"""
import builtins

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

BIGINT_MAX = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only 0…2^63-1: a larger id is a 404, not an OverflowError."""

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):  # noqa: A002 - werkzeug's names
        bounded_max = BIGINT_MAX if max is None else builtins.min(max, BIGINT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded_max, signed=signed)


def bounded_int(value: str) -> int:
    """`int()` for request parameters: a value outside the signed 64-bit range is a ValueError."""
    number = int(value)
    if not -BIGINT_MAX - 1 <= number <= BIGINT_MAX:
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
