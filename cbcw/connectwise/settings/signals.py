"""What the settings pages announce, for features above them to act on (callbacks register and
remove their ConnectWise registrations). Each receiver may return a sentence for the admin."""
from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.crypto import SecretUnreadable

_signals = Namespace()
# sender: the saved (committed) ConnectWiseSettings; `previous`: the PreviousSite before the save.
connection_saved = _signals.signal("cw-connection-saved")
# sender: the ConnectWiseSettings whose company, board or type mappings were saved (committed).
mappings_changed = _signals.signal("cw-mappings-changed")


@dataclass(frozen=True)
class PreviousSite:
    """The site as it was before a save, with a client on its old credentials (None when it had
    none that work), so what was made there can still be removed there."""

    base_url: str
    company_id: str
    client: ConnectWiseClient | None


def previous_site(settings: ConnectWiseSettings) -> PreviousSite:
    try:
        client = client_for(settings, interactive=True)
    except (ConnectWiseError, SecretUnreadable):
        client = None
    return PreviousSite(settings.base_url or "", settings.cw_company_id or "", client)


def notes(results) -> str:
    """The receivers' sentences, joined."""
    return " ".join(note for _receiver, note in results if note)
