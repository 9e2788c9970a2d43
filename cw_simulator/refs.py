"""Reference shapes embedded in records (`CompanyReference {id, identifier, name, _info}` …)."""
from __future__ import annotations

API_ROOT = "/v4_6_release/apis/3.0"

# collection -> (fields copied into the reference, _info href key, href path)
_SHAPES = {
    "companies": (("id", "identifier", "name"), "company_href", "/company/companies/{id}"),
    "boards": (("id", "name"), "board_href", "/service/boards/{id}"),
    "members": (("id", "identifier"), "member_href", "/system/members/{id}"),
    "schedule_types": (("id", "identifier"), "type_href", "/schedule/types/{id}"),
    "schedule_statuses": (("id", "name"), "status_href", "/schedule/statuses/{id}"),
    "configuration_types": (("id", "name"), "type_href", "/company/configurations/types/{id}"),
    "tickets": (("id", "summary"), "ticket_href", "/service/tickets/{id}"),
}


def reference(collection: str, record: dict) -> dict:
    """The reference other records embed to point at `record`."""
    if collection == "statuses":
        # ServiceStatusReference carries `sort` in the 2025.1 spec (REFERENCE §5), newer than schema.json.
        board_id = record["board"]["id"]
        return {"id": record["id"], "name": record["name"], "sort": record["sortOrder"],
                "_info": {"status_href": f"{API_ROOT}/service/boards/{board_id}/statuses/{record['id']}"}}
    keys, href_key, href = _SHAPES[collection]
    ref = {key: record[key] for key in keys}
    if collection == "members":
        ref["name"] = f"{record['firstName']} {record['lastName']}"
    ref["_info"] = {href_key: API_ROOT + href.format(id=record["id"])}
    return ref
