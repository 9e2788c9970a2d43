"""Names → hostnames that `@` mentions can name: "SRV 01" becomes "srv-01" (lower case; spaces
and anything else a mention cannot hold become "-")."""
from __future__ import annotations

import re

MAX_LENGTH = 120
_NOT_ALLOWED = re.compile(r"[^a-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")


def normalise_hostname(name: str, fallback: str) -> str:
    """The mentionable form of a name; `fallback` when nothing usable is left."""
    text = _DASHES.sub("-", _NOT_ALLOWED.sub("-", (name or "").strip().lower()))
    text = text.lstrip("._-")[:MAX_LENGTH].rstrip("._-")
    return text or fallback
