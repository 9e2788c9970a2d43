"""Jinja filters of the change pages: how the domain's text is marked up for display."""
from typing import Mapping, Optional

from flask import Flask, url_for
from markupsafe import Markup, escape

from cbcw.changes.mentions import split_mentions


def highlight_mentions(text: Optional[str], unresolved: list[str],
                       links: Optional[Mapping[str, str]] = None) -> Markup:
    """The text, HTML-escaped, with each `@hostname` marked as linked or unresolved; a linked one
    whose hostname (any case) is in `links` is a link to that device's page (PRODUCT §2.4)."""
    missing = {name.lower() for name in unresolved or ()}
    parts = []
    for piece, name in split_mentions(text):
        if name is None:
            parts.append(escape(piece))
        elif name.lower() in missing:
            parts.append(Markup('<span class="mention-unresolved">%s</span>') % piece)
        elif links and name.lower() in links:
            parts.append(Markup('<a class="mention" href="%s">%s</a>') % (links[name.lower()], piece))
        else:
            parts.append(Markup('<span class="mention">%s</span>') % piece)
    return Markup("").join(parts)


def device_links(change) -> dict[str, str]:
    """Each linked device's page, by the hostname it was mentioned as (lower case)."""
    return {link.mention.lower(): url_for("devices.detail", device_id=link.device_id) for link in change.devices}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["mentions"] = highlight_mentions
