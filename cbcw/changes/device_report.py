"""The device change report as CSV: UTF-8 (with a BOM so spreadsheets detect it), one row per
change × device, every cell safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from cbcw.main.templating import localtime, user_zone

HEADER = ("Date", "Device", "Device type", "Company", "Change", "Title", "State", "Window start", "Window end",
          "Implementer")
# The columns holding times, which are in the viewer's own timezone.
TIMED = frozenset({"Date", "Window start", "Window end"})
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def row_cells(link) -> list:
    """One report row (a ChangeDevice), times in the viewer's timezone; the HTML table and the CSV share it."""
    change, device = link.change, link.device
    return [localtime(change.window_start or change.created_at, "%Y-%m-%d %H:%M"), device.hostname,
            device.device_type.name if device.device_type else "", device.company.name if device.company else "",
            change.reference, change.title, change.state_label, localtime(change.window_start, "%Y-%m-%d %H:%M"),
            localtime(change.window_end, "%Y-%m-%d %H:%M"),
            change.implementer.display_name if change.implementer else ""]


def header(zone: str) -> list[str]:
    """The header row; each time column names its zone ("Window start (Europe/London)"), since a
    downloaded file travels without the page that said whose clock it reads."""
    return [f"{name} ({zone})" if name in TIMED else name for name in HEADER]


def csv_lines(links: Iterable) -> Iterator[str]:
    """The CSV text in pieces (one per row), for a streamed download."""
    buffer = io.StringIO()
    # Every cell quoted: a spreadsheet that splits on ";" (many European locales) cannot cut a
    # title like ";=1+1" into a cell that starts with "=".
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(header(user_zone().key))
    yield "\ufeff" + _take(buffer)
    for link in links:
        writer.writerow([safe_cell(cell) for cell in row_cells(link)])
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
