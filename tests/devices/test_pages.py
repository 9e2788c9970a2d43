"""Device list, device detail, the @ autocomplete and the device change report (PRODUCT §2.4)."""
import csv
import html
import io
import re
from datetime import datetime, timezone

import pytest
import requests

from cbcw.changes.device_report import HEADER
from cbcw.changes.models import ChangeDevice


@pytest.fixture
def linked(db, org, company, make_device, make_change):
    """Two devices of Acme, one referenced by a scheduled change."""
    server = make_device("acme-srv01", company=company, attributes={"ip": "10.0.0.5", "os": "Linux"})
    make_device("acme-sw01", company=company, type_name="Switch", active=False)
    change = make_change(title="=HYPERLINK(\"http://evil\") patch", state="scheduled",
                         window_start=datetime(2030, 5, 4, 22, tzinfo=timezone.utc),
                         window_end=datetime(2030, 5, 4, 23, tzinfo=timezone.utc))
    db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=server.id, mention="acme-srv01"))
    db.session.commit()
    return server, change


def test_device_list_filters_and_searches(client, login, viewer, linked):
    """The list shows the organisation's devices and filters by active state and search text."""
    login(viewer)
    page = client.get("/devices").text
    assert "acme-srv01" in page and "acme-sw01" in page
    assert "acme-sw01" not in client.get("/devices?active=yes").text
    found = client.get("/devices?q=SRV", headers={"HX-Request": "true"}).text
    assert "acme-srv01" in found and "acme-sw01" not in found and "<html" not in found


@pytest.mark.parametrize("query", ["page=99999999999999999999999", "page=-3", "company=9" * 30, "type=abc",
                                   "q=%25_%25", "active=maybe"])
def test_device_list_survives_hostile_query_strings(client, login, viewer, linked, query):
    """Any page number, id or search text gives a page, never a server error."""
    login(viewer)
    assert client.get(f"/devices?{query}").status_code == 200


def test_search_treats_wildcards_literally(client, login, viewer, make_device, company):
    """A `%` or `_` in the search matches itself, not any text."""
    make_device("web_01", company=company)
    make_device("webx01", company=company)
    login(viewer)
    page = client.get("/devices?q=web_").text
    assert "web_01" in page and "webx01" not in page


def test_device_detail_shows_attributes_and_its_changes(client, login, viewer, linked):
    """The device page lists its attributes and the changes that reference it."""
    server, change = linked
    login(viewer)
    page = client.get(f"/devices/{server.id}").text
    assert "10.0.0.5" in page and change.reference in page and "Added by hand" in page


def test_the_device_page_and_the_report_sit_under_the_devices_tab(client, login, viewer, linked):
    """A device's page and the device change report mark Devices as the current tab."""
    server, _change = linked
    login(viewer)
    for path in (f"/devices/{server.id}", "/reports/device-changes"):
        assert '<a href="/devices" aria-current="page">Devices</a>' in client.get(path).text, path


def test_synced_device_links_to_its_configuration(client, login, viewer, db, org, company, make_device):
    """A device synced from ConnectWise links to the configuration on the UI host (ConfigFv)."""
    from cbcw.connectwise.settings.mappings import get_settings
    settings = get_settings(org.id)
    settings.base_url, settings.cw_company_id = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "acme co"
    device = make_device("acme-dc01", company=company, external_source="connectwise", external_id="1001",
                         external_name="ACME DC01")
    login(viewer)
    page = client.get(f"/devices/{device.id}").text
    assert ("https://na.myconnectwise.net/v4_6_release/services/system_io/router/openrecord.rails?"
            "locale=en_US&amp;recordType=ConfigFv&amp;recid=1001&amp;companyName=acme+co") in page


def test_open_in_connectwise_opens_the_configuration_in_the_simulator(client, login, viewer, org, company,
                                                                      make_device, cw_sim):
    """The device page's "Open in ConnectWise" link, followed to the simulator, shows that configuration."""
    from cbcw.connectwise.settings.mappings import get_settings
    from tests.fixtures.cw_simulator import point_at_simulator
    point_at_simulator(get_settings(org.id), cw_sim)
    configuration = cw_sim.raw("GET", "/company/configurations/1002").json()
    device = make_device(configuration["name"], company=company, external_source="connectwise",
                         external_id=str(configuration["id"]), external_name=configuration["name"])
    login(viewer)
    link = re.search(r'href="([^"]*openrecord[^"]*)"', client.get(f"/devices/{device.id}").text).group(1)
    page = requests.get(html.unescape(link), timeout=5)
    assert page.status_code == 200
    assert f"Configuration {configuration['name']}" in page.text and configuration["serialNumber"] in page.text


def test_mention_suggestions_offer_active_devices_of_the_company_first(client, login, engineer, linked,
                                                                       make_device, make_company):
    """`@acme` suggests active devices starting with it, the change's company first; inactive ones never."""
    server, _change = linked
    other = make_company("Other Co")
    make_device("acme-elsewhere", company=other)
    login(engineer)
    html = client.get(f"/devices/mentions?q=acme&company_id={server.company_id}").text
    assert html.index("acme-srv01") < html.index("acme-elsewhere")
    assert "acme-sw01" not in html and 'role="option"' in html
    assert client.get("/devices/mentions?q=zzz&company_id=1" + "9" * 30).status_code == 200


def test_mention_suggestions_never_show_another_organisation(client, login, engineer, make_org, make_device):
    """Devices of another organisation are never suggested."""
    make_device("acme-foreign", organisation=make_org())
    login(engineer)
    assert "acme-foreign" not in client.get("/devices/mentions?q=acme").text


def test_report_csv_is_utf8_and_formula_safe(client, login, viewer, linked):
    """The CSV download is UTF-8 with a header row; a title starting with = is neutralised."""
    _server, change = linked
    login(viewer)
    response = client.get("/reports/device-changes?format=csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["Date (UTC)", "Device"] and len(rows) == 2
    assert rows[1][1] == "acme-srv01" and rows[1][4] == change.reference
    assert rows[1][5] == "'=HYPERLINK(\"http://evil\") patch"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_report_csv_quotes_every_cell(client, login, viewer, linked, db):
    """Every cell is quoted, so a spreadsheet splitting on ";" cannot turn ";=1+1;" into a formula cell."""
    _server, change = linked
    change.title = ";=1+1;"
    db.session.commit()
    login(viewer)
    line = client.get("/reports/device-changes?format=csv").data.decode("utf-8").splitlines()[1]
    assert '",";=1+1;","' in line
    assert line.startswith('"') and line.endswith('"') and line.count('","') == len(HEADER) - 1


def test_report_csv_header_names_the_viewers_timezone_on_time_columns(client, login, viewer, linked, db):
    """The CSV's time columns say whose clock they read: the downloading user's own timezone."""
    viewer.timezone = "Europe/London"
    db.session.commit()
    login(viewer)
    text = client.get("/reports/device-changes?format=csv").data.decode("utf-8").lstrip("\ufeff")
    header = next(csv.reader(io.StringIO(text)))
    assert header[0] == "Date (Europe/London)" and header[1] == "Device"
    assert header[7:9] == ["Window start (Europe/London)", "Window end (Europe/London)"]


def test_report_filters_by_date_range_in_the_users_timezone(client, login, viewer, linked):
    """The date range selects by the window start; a window outside the range is left out."""
    login(viewer)
    assert "acme-srv01</a>" in client.get("/reports/device-changes?date_from=2030-05-04&date_to=2030-05-04").text
    assert "acme-srv01</a>" not in client.get("/reports/device-changes?date_from=2030-05-05").text


@pytest.mark.parametrize("query", ["date_from=0001-01-01&date_to=0001-01-01", "date_to=9999-12-31",
                                   "date_from=2030-13-45", "date_from=2030-05-05&date_to=2030-05-01",
                                   "device=" + "9" * 40, "page=" + "9" * 40])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_report_survives_hostile_filters(client, login, viewer, linked, query, zone, db):
    """Dates at the edge of the calendar, impossible dates and huge ids give a page with a message,
    whatever the viewer's timezone (east of UTC, 0001-01-01 starts before the first UTC instant)."""
    viewer.timezone = zone
    db.session.commit()
    login(viewer)
    assert client.get(f"/reports/device-changes?{query}").status_code == 200
    download = client.get(f"/reports/device-changes?{query}&format=csv")
    assert download.status_code == 200 and download.data


def test_report_never_lists_another_organisations_rows(client, login, viewer, linked, make_org, make_user,
                                                        make_change, make_device, db):
    """Rows of another organisation are never in the report."""
    other = make_org()
    foreign_change = make_change(organisation=other, created_by=make_user("admin", organisation=other))
    device = make_device("foreign-host", organisation=other)
    db.session.add(ChangeDevice(organisation_id=other.id, change_id=foreign_change.id, device_id=device.id, mention="x"))
    db.session.commit()
    login(viewer)
    assert "foreign-host" not in client.get("/reports/device-changes?format=csv").data.decode()


def test_change_form_wires_the_autocomplete_from_a_static_script(client, login, engineer):
    """The description and plan fields carry the suggestions URL and the script is a static file (no inline JS)."""
    login(engineer)
    page = client.get("/changes/new").text
    assert page.count('data-mentions="/devices/mentions"') == 4
    assert '<script src="/static/js/mentions.js" defer></script>' in page


@pytest.mark.parametrize("value, message", [
    ("2030-02-30", "30 Feb 2030 is not a date: February 2030 has 28 days."),
    ("12/05/2030", "“12/05/2030” can be read two ways (day or month first)"),
    ("soon", "“soon” is not a date: pick one in the calendar, or type it as 2026-12-10."),
])
def test_report_date_filter_says_what_is_wrong(client, login, viewer, value, message):
    """The report's date filter is the date control of the app's date-and-time control, with its errors."""
    login(viewer)
    page = client.get("/reports/device-changes", query_string={"date_from": value}).text
    assert 'type="date"' in page and message in page
