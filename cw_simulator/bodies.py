"""Request-body checks against schema.json, JSON Patch, and reference resolution.

Unknown top-level fields are refused with 400 naming the field (stricter than the real API may
be, on purpose: a misspelt field would otherwise be silently dropped). PATCH paths must be
top-level field names, case-sensitive. A nested path into a reference (`member/identifier`,
`status/id`: django-connectwise patches schedule entries so) replaces the reference by the one
it names; on tickets nested paths are refused, because REFERENCE §6 warns they can give a false
200 there.
"""
from __future__ import annotations

import copy

from flask import request

from cw_simulator.cw_errors import field_error, invalid, invalid_field
from cw_simulator.query import parse_datetime
from cw_simulator.store import Store, model_fields

PATCH_OPS = ("add", "replace", "remove")
READ_ONLY = ("id", "_info")


def json_body(resource: str):
    body = request.get_json(silent=True)
    if body is None:
        raise invalid(resource, field_error("InvalidObject", "The request body must be JSON.", resource, resource))
    return body


def check_fields(resource: str, model: str, body, *, creating: bool) -> dict:
    """The body as a dict whose every field exists on the model with a value of the right type."""
    if not isinstance(body, dict):
        raise invalid(resource, field_error("InvalidObject", "The request body must be a JSON object.", resource, resource))
    fields = model_fields(model)
    for name, value in body.items():
        if name not in fields:
            raise invalid_field(resource, name, f"Unknown field {name}.")
        _check_type(resource, name, fields[name]["type"], value)
    if creating:
        for name, spec in fields.items():
            if spec["required"] and body.get(name) is None:
                raise invalid_field(resource, name, f"The {name} field is required.", code="NullValue")
    return body


def patch_operations(resource: str, model: str, body, *, nested: bool = True) -> list[tuple[str, str, object]]:
    """[(op, path, value)] from a JSON Patch array, each path a writable top-level field; with
    `nested`, `reference/key` becomes (op, reference, {key: value})."""
    if not isinstance(body, list) or not body:
        raise invalid(resource, field_error("InvalidObject", "The request body must be a non-empty array of "
                                            "patch operations.", resource, "patch"))
    fields = model_fields(model)
    operations = []
    for item in body:
        if not isinstance(item, dict) or item.get("op") not in PATCH_OPS:
            raise invalid_field(resource, "op", f"Invalid patch operation {item!r}: op must be add, replace or remove.")
        path = item.get("path")
        if nested and isinstance(path, str) and "/" in path and item["op"] != "remove":
            operations.append(_nested_operation(resource, fields, item))
            continue
        if not isinstance(path, str) or path not in fields or path in READ_ONLY:
            raise invalid_field(resource, str(path), f"Cannot patch path {path!r}: it is not a writable field of {resource}.")
        if item["op"] != "remove":
            if "value" not in item:
                raise invalid_field(resource, path, f"The patch operation on {path} needs a value.")
            _check_type(resource, path, fields[path]["type"], item["value"])
        operations.append((item["op"], path, item.get("value")))
    return operations


def _nested_operation(resource: str, fields: dict, item: dict) -> tuple[str, str, object]:
    """`{"op": "replace", "path": "member/identifier", "value": "x"}` → ("replace", "member", {"identifier": "x"})."""
    path = item["path"]
    head, _, key = path.partition("/")
    spec = fields.get(head)
    if spec is None or head in READ_ONLY or not spec["type"].endswith("Reference") or "/" in key \
            or key not in model_fields(spec["type"]) or "value" not in item:
        raise invalid_field(resource, path, f"Cannot patch path {path!r}: it is not a field of a reference of {resource}.")
    _check_type(resource, path, model_fields(spec["type"])[key]["type"], item["value"])
    return item["op"], head, {key: item["value"]}


def apply_patch(record: dict, operations) -> dict:
    patched = copy.deepcopy(record)
    for op, path, value in operations:
        if op == "remove":
            patched.pop(path, None)
        else:
            patched[path] = value
    return patched


def resolve(store: Store, collection: str, value, resource: str, field: str, label: str, candidates=None) -> dict:
    """The record a reference `{"id"}`, `{"identifier"}` or `{"name"}` points at, or 400 NotFound."""
    records = list(candidates if candidates is not None else store.all(collection))
    if isinstance(value, dict):
        for key in ("id", "identifier", "name"):
            if value.get(key) is not None:
                wanted = value[key]
                match = next((r for r in records if _same(r.get(key), wanted)), None)
                if match:
                    return match
                raise invalid_field(resource, field, f"{label} {wanted} not found", code="NotFound")
    raise invalid_field(resource, field, f"{field} must be a reference with an id, identifier or name.")


def _same(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b and type(a) is type(b)


def _check_type(resource, name, type_name: str, value) -> None:
    if value is None or _type_ok(type_name, value):
        return
    raise invalid_field(resource, name, f"The value of {name} is not a valid {type_name}.")


def _type_ok(type_name: str, value) -> bool:
    if type_name in ("str", "UUID"):
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "datetime":
        # Brackets belong to conditions only; CW rejects `[2025-…]` in bodies (REFERENCE §15.2 #6).
        try:
            return isinstance(value, str) and not value.startswith("[") and bool(parse_datetime(value))
        except ValueError:
            return False
    if type_name.startswith("enum("):
        return value in [option.strip() for option in type_name[5:-1].split(",")]
    if type_name.startswith("list["):
        return isinstance(value, list)
    return isinstance(value, dict)  # `object` and every Reference/model type
