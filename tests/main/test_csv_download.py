"""The shared CSV download format (cbcw/main/csv_download.py): formula-safe cells, the header
before any row is read, one piece per batch."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from cbcw.main.csv_download import csv_text, csv_time, safe_cell


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                             ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain, \"quoted\"", "plain, \"quoted\""),
                                             (None, ""), (12, "12")])
def test_safe_cell(value, expected):
    """Cells a spreadsheet would run as formulas get a leading apostrophe; others stay as they are."""
    assert safe_cell(value) == expected


def test_csv_text_sends_the_header_before_reading_a_row_then_a_piece_per_batch():
    """Nothing is read from the rows until the header is out; each later piece holds one batch."""
    read = []

    def rows():
        for n in range(5):
            read.append(n)
            yield n

    pieces = csv_text(["N", "Cell"], rows(), lambda n: [n, f"={n}"], batch=2)
    assert next(pieces) == '\ufeff"N","Cell"\r\n' and read == []
    assert next(pieces) == '"0","\'=0"\r\n"1","\'=1"\r\n' and read == [0, 1]
    assert [piece.count("\n") for piece in pieces] == [2, 1]


@pytest.mark.parametrize("moment, zone, expected", [
    (datetime(2026, 5, 1, 12, 5, tzinfo=timezone.utc), "Europe/London", "2026-05-01 13:05"),
    (datetime(2026, 12, 1, 12, 5, 59, tzinfo=timezone.utc), "Europe/London", "2026-12-01 12:05"),
    (datetime(9999, 12, 31, 23, tzinfo=timezone.utc), "Pacific/Kiritimati", "9999-12-31 23:00 UTC"),
    (None, "UTC", ""),
])
def test_csv_time_is_minutes_in_the_zone_and_utc_when_the_zone_cannot_say(moment, zone, expected):
    """Times read in the viewer's zone to the minute; one the zone cannot express stays in UTC, marked."""
    assert csv_time(moment, ZoneInfo(zone)) == expected
