"""Callbacks, as ConnectWise sends them (REFERENCE §13): `/system/callbacks` CRUD (strict to the
CallbackEntry fields), the signing key at a `key_url` on this host, and a background sender that
posts a signed payload for every ticket or configuration added, updated or deleted here, to each
matching registration, retrying a few times. Loopback addresses only: this is a test tool.

Signature: `x-content-signature` = base64(HMAC-SHA256(SHA-256(signing_key), raw body)).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import uuid
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Response, current_app, has_request_context, request

from cw_simulator.api import bp as api_bp
from cw_simulator.api import count_records, get_or_404, json_response, list_records, record_response
from cw_simulator.bodies import READ_ONLY, apply_patch, check_fields, json_body, patch_operations
from cw_simulator.cw_errors import invalid_field
from cw_simulator.store import API_MEMBER_IDENTIFIER

KEY_PATH = "/v4_6_release/system/callbackkey/index.rails"
# type -> levels the simulator matches (ConnectWise's PSA Callbacks page lists more; these are the
# ones ChangeBreeze registers, plus `Ticket`/`Status` for one ticket or status).
LEVELS = {"ticket": ("owner", "board", "status", "ticket"), "configuration": ("owner", "company", "type", "configuration")}
TYPES = {"tickets": "ticket", "configurations": "configuration"}
RETRY_WAITS = (0.2, 0.5)  # ConnectWise waits 2 s then 4 s; shorter here so tests stay quick
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TIMEOUT = 5.0

keys_bp = Blueprint("cw_sim_callback_key", __name__)


def sim():
    return current_app.extensions["cw_sim"]


# -- /system/callbacks ------------------------------------------------------------------------

def _checked(entry: dict) -> dict:
    type_, level = str(entry.get("type", "")).lower(), str(entry.get("level", "")).lower()
    if type_ not in LEVELS:
        raise invalid_field("callbackEntry", "type", f"The type {entry.get('type')!r} is not supported.")
    if level not in LEVELS[type_]:
        raise invalid_field("callbackEntry", "level", f"The level {entry.get('level')!r} is not valid for {type_}.")
    parts = urlsplit(str(entry.get("url", "")))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid_field("callbackEntry", "url", "The url must be an absolute http(s) address.")
    return entry


@api_bp.get("/system/callbacks")
def list_callbacks():
    return list_records("callbacks")


@api_bp.get("/system/callbacks/count")
def count_callbacks():
    return count_records("callbacks")


@api_bp.post("/system/callbacks")
def create_callback():
    body = check_fields("callbackEntry", "CallbackEntry", json_body("callbackEntry"), creating=True)
    st = sim().store
    with st.lock:
        entry = _checked({"inactiveFlag": False, "isSoapCallbackFlag": False, "isSelfSuppressedFlag": False,
                          "description": "", **{k: v for k, v in body.items() if k not in READ_ONLY}})
        return record_response(st.insert("callbacks", entry), 201)


@api_bp.get("/system/callbacks/<int:callback_id>")
def get_callback(callback_id):
    with sim().store.lock:
        return record_response(get_or_404("callbacks", callback_id, "Callback"))


@api_bp.put("/system/callbacks/<int:callback_id>")
def replace_callback(callback_id):
    body = check_fields("callbackEntry", "CallbackEntry", json_body("callbackEntry"), creating=True)
    st = sim().store
    with st.lock:
        current = get_or_404("callbacks", callback_id, "Callback")
        entry = _checked({**{k: v for k, v in body.items() if k not in READ_ONLY}, "id": callback_id,
                          "_info": current.get("_info", {})})
        return record_response(st.save("callbacks", entry))


@api_bp.patch("/system/callbacks/<int:callback_id>")
def patch_callback(callback_id):
    operations = patch_operations("callbackEntry", "CallbackEntry", json_body("callbackEntry"))
    st = sim().store
    with st.lock:
        entry = _checked(apply_patch(get_or_404("callbacks", callback_id, "Callback"), operations))
        return record_response(st.save("callbacks", entry))


@api_bp.delete("/system/callbacks/<int:callback_id>")
def delete_callback(callback_id):
    st = sim().store
    with st.lock:
        get_or_404("callbacks", callback_id, "Callback")
        st.delete("callbacks", callback_id)
    return Response(status=204)


# -- the signing key ---------------------------------------------------------------------------

@keys_bp.get(KEY_PATH)
def signing_key():
    """`Metadata.key_url` answers `{"signing_key": "…"}` (REFERENCE §13)."""
    if request.args.get("id") != "1":
        return json_response(json.dumps({"code": "NotFound", "message": "No such key.", "errors": None}), 404)
    return json_response(json.dumps({"signing_key": sim().callbacks.signing_key}))


def signature(signing_key: str, body: bytes) -> str:
    key = hashlib.sha256(signing_key.encode()).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


# -- sending -----------------------------------------------------------------------------------

def _matches(entry: dict, type_: str, record: dict) -> bool:
    if entry.get("inactiveFlag") or str(entry.get("type", "")).lower() != type_:
        return False
    level, object_id = str(entry.get("level", "")).lower(), entry.get("objectId")
    if level == "owner":
        return True
    field = {"board": "board", "status": "status", "company": "company", "type": "type"}.get(level)
    if field is not None:
        reference = record.get(field)
        return isinstance(reference, dict) and reference.get("id") == object_id
    return record.get("id") == object_id


class CallbackSender:
    """Signs and posts callbacks from one daemon thread; `sent` lists every attempt's outcome."""

    def __init__(self, store, company_id: str):
        self.store, self.company_id = store, company_id
        self.signing_key = secrets.token_urlsafe(24)
        self.root_url = ""  # this simulator's own address, learnt from the requests it serves
        self.sent: list[dict] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def changed(self, collection: str, action: str, record: dict) -> None:
        """Called by the store (under its lock) for each record added, updated or deleted."""
        type_ = TYPES.get(collection)
        if type_ is None:
            return
        if has_request_context():
            self.root_url = request.host_url.rstrip("/")
        entity = json.dumps(record, separators=(",", ":"))
        for entry in list(self.store.all("callbacks")):
            if _matches(entry, type_, record):
                self._queue.put((entry["url"], entry["id"], type_, action, record["id"], entity))
                self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cw-sim-callbacks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            url, callback_id, type_, action, record_id, entity = self._queue.get()
            payload = {"MessageId": str(uuid.uuid4()), "FromUrl": urlsplit(self.root_url).netloc,
                       "CompanyId": self.company_id, "MemberId": API_MEMBER_IDENTIFIER, "Action": action,
                       "Type": type_, "ID": record_id, "ProductInstanceId": None, "PartnerId": None,
                       "Entity": entity, "Metadata": {"key_url": f"{self.root_url}{KEY_PATH}?id=1"},
                       "CallbackObjectRecId": callback_id}
            self._send(url, json.dumps(payload).encode())

    def _send(self, url: str, body: bytes) -> None:
        outcome = {"url": url, "status": None, "attempts": 0}
        if urlsplit(url).hostname not in LOOPBACK:
            outcome["status"] = "refused: not a loopback address"
        else:
            headers = {"Content-Type": "application/json", "x-content-signature": signature(self.signing_key, body)}
            for wait in (0.0, *RETRY_WAITS):
                if wait and self._stop.wait(wait):
                    return
                outcome["attempts"] += 1
                try:
                    outcome["status"] = requests.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                                      allow_redirects=False).status_code
                except requests.RequestException as error:
                    outcome["status"] = f"error: {type(error).__name__}"
                    continue
                if outcome["status"] not in (404, 409, 419, 429) and outcome["status"] < 500:
                    break
        with self._lock:
            self.sent.append(outcome)

    def history(self) -> list[dict]:
        with self._lock:
            return list(self.sent)

    def clear(self) -> None:
        """Forget what was sent and drop what was still to send (`/_sim/reset`)."""
        with self._lock:
            self.sent.clear()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
