"""Conditions builder and UI deep links."""
from datetime import datetime, timedelta, timezone

import pytest

from cbcw.connectwise.api.conditions import C, literal
from cbcw.connectwise.api.links import ticket_url, ui_host


def test_string_literal_escapes_quotes_and_backslashes():
    """A quote or backslash in a value cannot end the string literal early."""
    assert C.eq("summary", 'a "b" & c\\') == 'summary = "a \\"b\\" & c\\\\"'


def test_literals_for_booleans_null_numbers_and_datetimes():
    """Booleans, null, numbers and aware datetimes (as UTC in brackets) are written bare."""
    assert literal(True) == "true" and literal(None) == "null" and literal(12) == "12"
    moment = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert literal(moment) == "[2024-01-01T00:00:00Z]"
    with pytest.raises(ValueError):
        literal(datetime(2024, 1, 1))


def test_in_and_combinators_parenthesise_each_part():
    """`in` lists and AND/OR groups keep their precedence whatever the parts contain."""
    condition = C.and_(C.in_("board/id", [1, 2]), C.or_(C.contains("summary", "x"), C.eq("id", 3)))
    assert condition == '(board/id in (1,2)) AND ((summary contains "x") OR (id = 3))'
    assert C.and_(C.eq("id", 1)) == "id = 1"


def test_field_paths_cannot_inject_syntax():
    """A field name with spaces or operators is refused."""
    with pytest.raises(ValueError):
        C.eq("id = 1 OR name", "x")


@pytest.mark.parametrize("base, expected", [
    ("https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "na.myconnectwise.net"),
    ("https://cw.example.com:8443/v4_6_release/apis/3.0", "cw.example.com:8443"),
    ("http://127.0.0.1:5055/v4_6_release/apis/3.0", "127.0.0.1:5055"),
])
def test_ui_host_strips_only_a_leading_api_prefix(base, expected):
    """Cloud API hosts lose `api-`; on-prem and simulator hosts are unchanged."""
    assert ui_host(base) == expected


def test_ticket_url_keeps_scheme_and_port_and_encodes_company():
    """The ticket deep link of REFERENCE §11.2 on the UI host."""
    url = ticket_url("http://api-sim.local:5055/v4_6_release/apis/3.0", "my co/1", 5001)
    assert url == ("http://sim.local:5055/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
                   "?service_recid=5001&companyName=my+co%2F1")
