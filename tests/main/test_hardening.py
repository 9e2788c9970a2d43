"""Security headers, bounded ids, dates that always display, owner-only files (PRODUCT §4)."""
import os
import re
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from app import create_app
from cbcw.config import TestConfig
from cbcw.main.numbers import DATABASE_INT_MAX, BoundedIntConverter
from cbcw.main.templating import localtime

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HUGE_ID = 99999999999999999999


@pytest.mark.parametrize("url", ["/changes", "/profile", "/changes?q=x", "/no/such/page"])
def test_every_response_has_the_security_headers(client, login, admin, url):
    """Pages, fragments and error pages carry CSP, nosniff, a referrer policy and no-store."""
    login(admin)
    headers = client.get(url, headers={"HX-Request": "true"} if "?" in url else {}).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_login_page_has_the_security_headers(client):
    """The login page (no user yet) is protected too."""
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_may_be_cached(client):
    """Static files carry nosniff but not no-store."""
    response = client.get("/static/css/app.css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "on… event handler attribute"),
    (re.compile(r"\shx-on", re.I), "hx-on handler (evaluated by htmx)"),
    (re.compile(r"(hx-vals|hx-headers)=['\"]\s*(js|javascript):", re.I), "evaluated hx- value"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_script_or_style(template):
    """No template needs 'unsafe-inline' or 'unsafe-eval': scripts and styles come from static files."""
    text = template.read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == []


def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    """htmx 2 would inject a <style> the CSP blocks; the page's htmx-config turns it off (and eval)."""
    page = client.get("/login").get_data(as_text=True)
    assert '"includeIndicatorStyles": false' in page and '"allowEval": false' in page


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # noqa: SLF001 - the only place werkzeug keeps them
        names = [name for name, converter in converters.items() if isinstance(converter, BoundedIntConverter)]
        if names:
            yield rule, names


def test_every_int_url_argument_is_bounded_to_the_id_columns():
    """Every <int:…> of every route uses the bounded converter (the url_map is walked)."""
    app = create_app(TestConfig)
    plain = [
        (rule.rule, name) for rule in app.url_map.iter_rules() for name, converter in rule._converters.items()  # noqa: SLF001
        if isinstance(converter, IntegerConverter) and not (isinstance(converter, BoundedIntConverter) and converter.max == DATABASE_INT_MAX)
    ]
    assert plain == []
    assert list(_int_rules(app)), "no route takes an int: the walk proves nothing"


@pytest.mark.parametrize("huge", [DATABASE_INT_MAX, DATABASE_INT_MAX + 1, 2**63, HUGE_ID])
def test_ids_beyond_the_columns_are_404_on_every_route(client, login, admin, post, huge):
    """An id up to and beyond 64 bits in any URL is a 404, GET and POST alike, on SQLite and
    PostgreSQL, never an OverflowError or an out-of-range DataError."""
    login(admin)
    for rule, names in _int_rules(client.application):
        url = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(huge) if m.group(1) in names else "approve", rule.rule)
        url = re.sub(r"<any\([^)]*\):\w+>", "approve", url)
        if "GET" in rule.methods:
            assert client.get(url).status_code == 404, url
        if "POST" in rule.methods:
            assert post(url, {}).status_code == 404, url


def test_integer_query_parameters_beyond_64_bits_count_as_absent(client, login, admin):
    """`?page=` beyond 64 bits is ignored (the first page), never an OverflowError."""
    login(admin)
    assert client.get(f"/changes?page={HUGE_ID}").status_code == 200


@pytest.mark.parametrize("moment", [
    datetime(1, 1, 1, 0, 0, tzinfo=timezone.utc),
    datetime(9999, 12, 31, 23, 30, tzinfo=timezone.utc),
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "not a date",
])
@pytest.mark.parametrize("zone", ["Australia/Sydney", "Pacific/Kiritimati", "America/Los_Angeles", "Pacific/Pago_Pago"])
def test_dates_display_for_any_year_in_any_timezone(app, make_user, moment, zone):
    """Extreme datetimes show something sensible (in UTC if the zone cannot express them), never raise."""
    from flask_login import login_user

    with app.test_request_context():
        login_user(make_user(timezone=zone))
        shown = localtime(moment)
    assert shown
    if isinstance(moment, datetime):
        assert str(moment.year) in shown


def test_sqlite_file_and_instance_folder_are_owner_only(tmp_path):
    """The instance folder is created 0700 and the SQLite file 0600; an existing folder is tightened."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    old_umask = os.umask(0o022)
    try:
        create_app(type("FileConfig", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'changebreeze.sqlite'}", "INSTANCE_DIR": instance,
        }))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "changebreeze.sqlite").stat().st_mode) == 0o600


def test_new_database_folder_is_created_owner_only(tmp_path):
    """A missing folder for the SQLite file is created 0700."""
    folder = tmp_path / "new" / "data"
    create_app(type("FileConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'x.sqlite'}", "INSTANCE_DIR": tmp_path / "instance",
    }))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "x.sqlite").stat().st_mode) == 0o600
