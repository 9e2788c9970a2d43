"""The device change report's columns: one row per change × device, shared by the HTML table and
the CSV (streamed and made formula-safe by cbcw/main/csv_download.py)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from cbcw.changes.labels import STATE_LABELS
from cbcw.changes.models import reference_of
from cbcw.main.csv_download import csv_time

HEADER = ("Date", "Device", "Device type", "Company", "Change", "Title", "State", "Window start", "Window end",
          "Implementer")
# The columns holding times, which are in the viewer's own timezone.
TIMED = frozenset({"Date", "Window start", "Window end"})


def row_cells(row, zone: ZoneInfo) -> list:
    """One report row (a `by_device.report_rows` row), times in `zone`."""
    return [csv_time(row.date, zone), row.hostname, row.device_type or "", row.company or "",
            reference_of(row.number), row.title, STATE_LABELS[row.state], csv_time(row.window_start, zone),
            csv_time(row.window_end, zone), row.implementer or ""]

