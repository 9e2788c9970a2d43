"""The device change report's columns: one row per change × device, shared by the HTML table and
the CSV (streamed and made formula-safe by cbcw/main/csv_download.py)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from cbcw.changes.labels import STATE_LABELS
from cbcw.changes.labels import reference_of
from cbcw.main.csv_download import csv_time

HEADER = ("Date", "Device", "Device type", "Company", "Change", "Title", "State", "Window start", "Window end",
          "Implementer")
# The columns holding times, which are in the viewer's own timezone.
TIMED = frozenset({"Date", "Window start", "Window end"})


def row_cells(row, zone: ZoneInfo) -> list:
    """One report row (a `by_device.report_rows` row), times in `zone`. The row is unpacked, not read
    by name: a name lookup costs more than the cell, and a CSV has 20,000 rows."""
    date, _change_id, _device_id, hostname, device_type, company, number, title, state, start, end, implementer = row
    return [csv_time(date, zone), hostname, device_type or "", company or "", reference_of(number), title,
            STATE_LABELS[state], csv_time(start, zone), csv_time(end, zone), implementer or ""]

