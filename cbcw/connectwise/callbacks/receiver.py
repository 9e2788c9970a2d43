"""`POST /connectwise/callbacks/<key>`: ConnectWise's callbacks, verified, recorded once and left
to the background (`processing.py`), so the answer comes at once (ConnectWise waits 5 s at most).

No session and no CSRF token (ConnectWise has neither): the secret address says which
organisation, the signature says ConnectWise sent this body. Anything unproven is a 401 (an
oversized body a 413; a signing key ConnectWise was too slow or busy to give a 429, which it
retries) that changes nothing and is logged without the body or the address.
"""
from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.api.http import time_budget
from cbcw.connectwise.callbacks import signing
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.callbacks.registration import URL_PATH, key_hash
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.settings.models import CallbackEndpoint
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import csrf, db

log = logging.getLogger(__name__)
bp = Blueprint("cw_callbacks", __name__)
# A ticket's callback carries the whole ticket as a JSON string: a few KB, rarely more.
MAX_BODY_BYTES = 256 * 1024
MAX_KEY_CHARS = 100
# ConnectWise gives up on a callback after 5 s (REFERENCE §13): the key must come well before.
KEY_FETCH_SECONDS = 3.0
ENTITY_TYPES = ("ticket", "configuration")
ACTIONS = ("added", "updated", "deleted")


class Refused(Exception):
    def __init__(self, reason: str, status: int = 401, organisation_id: int | None = None):
        super().__init__(reason)
        self.reason, self.status, self.organisation_id = reason, status, organisation_id


@bp.post(URL_PATH + "<key>")
@csrf.exempt
def receive(key: str):
    try:
        organisation_id, payload, body = _verified(key)
    except Refused as refusal:
        log.warning("ConnectWise callback refused (%s): organisation %s, %s bytes from %s", refusal.reason,
                    refusal.organisation_id or "unknown", request.content_length or 0, request.remote_addr)
        return Response(refusal.reason + "\n", status=refusal.status, mimetype="text/plain")
    outcome = _record(organisation_id, payload, body)
    return Response(outcome + "\n", status=200, mimetype="text/plain")


def _verified(key: str) -> tuple[int, dict, bytes]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Refused("body too large", 413)
    endpoint = db.session.scalar(select(CallbackEndpoint).where(CallbackEndpoint.key_hash == key_hash(key))) \
        if len(key) <= MAX_KEY_CHARS else None
    if endpoint is None:
        raise Refused("unknown callback address")
    organisation_id = endpoint.organisation_id
    settings = active_settings(organisation_id)
    if settings is None:
        raise Refused("integration off", organisation_id=organisation_id)
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        raise Refused("body too large", 413, organisation_id)
    header = request.headers.get("x-content-signature", "")
    if not header:
        raise Refused("no signature", organisation_id=organisation_id)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond the parser
        payload = None
    metadata = payload.get("Metadata") if isinstance(payload, dict) else None
    key_url = metadata.get("key_url") if isinstance(metadata, dict) else None
    if not signing.key_url_allowed(key_url, settings.base_url):
        raise Refused("key_url not on the organisation's ConnectWise host", organisation_id=organisation_id)
    try:
        with time_budget(KEY_FETCH_SECONDS):
            signing_key = signing.keys.get((organisation_id, settings.base_url, key_url),
                                           lambda: client_for(settings, interactive=True).signing_key(key_url))
    except (ConnectWiseError, SecretUnreadable) as error:
        # A site that is slow or busy: 429, which ConnectWise retries; any other failure proves nothing.
        raise Refused(f"signing key not fetched: {type(error).__name__}", 429 if getattr(error, "retryable", False)
                      else 401, organisation_id) from None
    if not signing.signature_matches(signing_key, body, header):
        raise Refused("wrong signature", organisation_id=organisation_id)
    return organisation_id, payload, body


def _record(organisation_id: int, payload: dict, body: bytes) -> str:
    """Store the callback for the background, once per body; "recorded", "duplicate" or "ignored"."""
    entity_type = str(payload.get("Type") or "").lower()
    action = str(payload.get("Action") or "").lower()
    entity_id = payload.get("ID")
    if entity_type not in ENTITY_TYPES or action not in ACTIONS or not _is_id(entity_id):
        return "ignored"
    row = ReceivedCallback(organisation_id=organisation_id, digest=hashlib.sha256(body).hexdigest(),
                           entity_type=entity_type, action=action, entity_id=entity_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the savepoint is rolled back: nothing of it stays
        return "duplicate"
    endpoint = db.session.scalar(select(CallbackEndpoint).where(CallbackEndpoint.organisation_id == organisation_id))
    endpoint.last_received_at, endpoint.last_received_what = utcnow(), f"{entity_type} #{entity_id} {action}"
    db.session.commit()
    return "recorded"


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31
