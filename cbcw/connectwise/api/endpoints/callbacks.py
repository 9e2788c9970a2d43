"""/system/callbacks (REFERENCE §13): the callbacks an organisation registers, the signing key a
callback's `Metadata.key_url` names, and the one configuration a callback is about."""
from __future__ import annotations

from urllib.parse import urlsplit

from cbcw.connectwise.api import errors, shapes
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.http import ApiSession

CALLBACK_FIELDS = "id,url,objectId,type,level,description,inactiveFlag"
# CallbackEntry.description holds at most 100 characters (REFERENCE §13).
MAX_DESCRIPTION = 100


class CallbackEndpoints(ApiSession):
    """Register, list and remove callbacks; read a callback's signing key."""

    def list_callbacks(self, url: str) -> list[dict]:
        """The site's callbacks that post to `url` (ours), whoever registered them."""
        return [c for c in map(shapes.record, self.iter_list("/system/callbacks", C.eq("url", url),
                                                             fields=CALLBACK_FIELDS))
                if c.get("url") == url]

    def create_callback(self, *, url: str, type_: str, level: str, object_id: int, description: str) -> dict:
        """A CallbackEntry with only the fields the spec names (`url`, `objectId`, `type`, `level`
        are required)."""
        body = {"url": url, "objectId": int(object_id), "type": type_, "level": level,
                "description": description[:MAX_DESCRIPTION], "inactiveFlag": False}
        return shapes.record(self.request("POST", "/system/callbacks", json=body), "a callback")

    def delete_callback(self, callback_id: int) -> None:
        """Remove a callback; one already gone counts as removed."""
        try:
            self.request("DELETE", f"/system/callbacks/{int(callback_id)}")
        except errors.NotFound as error:
            if not error.record_gone:
                raise

    def signing_key(self, key_url: str) -> str:
        """`GET key_url` → `{"signing_key": "…"}`. The caller has checked that `key_url` is on this
        site's own scheme, host and port; it is fetched through the same guarded transport as every
        other call (no redirects, only allowed addresses)."""
        parts = urlsplit(key_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        found = self._decode(self._call("GET", path, base=f"{parts.scheme}://{parts.netloc}"))
        key = shapes.text(shapes.obj(found, "a signing key"), "signing_key")
        if not key:
            raise errors.BadResponse(detail="the callback signing key is missing")
        return key

    def get_configuration(self, configuration_id: int) -> dict:
        return shapes.record(self.request("GET", f"/company/configurations/{int(configuration_id)}"),
                             "a configuration")
