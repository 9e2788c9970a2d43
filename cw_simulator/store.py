"""The simulator's in-memory records: one lock, `_info` stamping, and caches that keep paging
cheap (each record's JSON is serialised once; a filtered id list is reused until a write)."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

_SCHEMA = json.loads((Path(__file__).with_name("schema.json")).read_text())

# collection name -> schema.json model name
MODELS = {
    "companies": "Company", "boards": "Board", "statuses": "BoardStatus", "tickets": "Ticket",
    "notes": "ServiceNote", "members": "Member", "schedule_types": "ScheduleType",
    "schedule_statuses": "ScheduleStatus", "schedule_entries": "ScheduleEntry",
    "configuration_types": "ConfigurationType", "configurations": "CompanyConfiguration",
    "time_entries": "TimeEntry", "callbacks": "CallbackEntry",
}
API_MEMBER_IDENTIFIER = "changebreeze"


def model_fields(model: str) -> dict:
    """{field: {"type", "required"}} for a schema.json model."""
    return _SCHEMA["models"][model]


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, seed_data: dict):
        self.lock = threading.RLock()
        # on_change(collection, "added" | "updated" | "deleted", record), called under the lock
        # after each write (the callback sender listens); loading the seed is no change.
        self.on_change = None
        self.load(seed_data)

    def load(self, seed_data: dict) -> None:
        """Replace every record with a deep copy of the seed (used by /_sim/reset)."""
        with self.lock:
            copied = json.loads(json.dumps(seed_data["collections"]))
            self.collections = {name: {r["id"]: r for r in copied.get(name, [])} for name in MODELS}
            self.credentials = dict(seed_data["credentials"])
            self.version = 0
            self._json = {(name, rid): json.dumps(r, separators=(",", ":"))
                          for name, records in self.collections.items() for rid, r in records.items()}
            self._projected: dict[tuple, dict[tuple, str]] = {}
            self._queries: dict[tuple, tuple[int, list]] = {}

    def get(self, collection: str, record_id) -> dict | None:
        return self.collections[collection].get(record_id)

    def all(self, collection: str):
        """Records in id order: ids only grow, and dicts keep insertion order."""
        return self.collections[collection].values()

    def insert(self, collection: str, record: dict) -> dict:
        """Give the record the next id and fresh `_info`, and store it."""
        records = self.collections[collection]
        record["id"] = max(records, default=0) + 1
        stamp = now_iso()
        record["_info"] = {"lastUpdated": stamp, "updatedBy": API_MEMBER_IDENTIFIER,
                           "dateEntered": stamp, "enteredBy": API_MEMBER_IDENTIFIER}
        records[record["id"]] = record
        self._changed(collection, "added", record)
        return record

    def save(self, collection: str, record: dict) -> dict:
        """Store an updated record and move its `_info/lastUpdated` on."""
        record["_info"] = {**record.get("_info", {}), "lastUpdated": now_iso(), "updatedBy": API_MEMBER_IDENTIFIER}
        self.collections[collection][record["id"]] = record
        self._forget(collection, record["id"])
        self._changed(collection, "updated", record)
        return record

    def delete(self, collection: str, record_id) -> None:
        record = self.collections[collection].pop(record_id, None)
        self._forget(collection, record_id)
        self._changed(collection, "deleted", record)

    def serialised(self, collection: str, record: dict) -> str:
        key = (collection, record["id"])
        text = self._json.get(key)
        if text is None:
            text = self._json[key] = json.dumps(record, separators=(",", ":"))
        return text

    def serialised_fields(self, collection: str, record: dict, fields: tuple, project) -> str:
        """`project(record)` as JSON, remembered per `fields` until the record changes."""
        cache = self._projected.setdefault((collection, record["id"]), {})
        text = cache.get(fields)
        if text is None:
            text = cache[fields] = json.dumps(project(record), separators=(",", ":"))
        return text

    def _forget(self, collection: str, record_id) -> None:
        self._json.pop((collection, record_id), None)
        self._projected.pop((collection, record_id), None)

    def cached_query(self, key: tuple, compute) -> list:
        """`compute()`'s list, remembered until the next write anywhere."""
        hit = self._queries.get(key)
        if hit and hit[0] == self.version:
            return hit[1]
        if len(self._queries) > 256:
            self._queries.clear()
        result = compute()
        self._queries[key] = (self.version, result)
        return result

    def _changed(self, collection: str, action: str, record: dict | None) -> None:
        self.version += 1
        if self.on_change is not None and record is not None:
            self.on_change(collection, action, record)
