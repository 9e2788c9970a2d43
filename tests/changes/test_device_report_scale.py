"""The device change report at volume (PRODUCT §2.4, issue 17): paged with filters kept, a clear
answer for a page past the end, statement counts flat in the data, and a CSV that streams in
bounded batches and holds exactly the filtered rows."""
import csv
import io
import re
import tracemalloc

import pytest
from sqlalchemy import func, select

from cbcw.changes.models import Change, ChangeDevice
from cbcw.demo.scale import seed_scale
from cbcw.devices.models import Device
from cbcw.main import csv_download
from tests.changes.test_statement_counts import counted_get  # noqa: F401 (a fixture)

REPORT = "/reports/device-changes"


@pytest.fixture
def scaled(db, org, make_company, engineer):
    """`seed_scale` changes (two devices each) over two companies; returns a function adding more."""
    companies = [make_company("Alpha"), make_company("Beta")]

    def add(count):
        db.session.add(org)
        seed_scale(org.id, count)
        db.session.commit()
        return companies

    return add


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def shown_hostnames(page: str) -> list[str]:
    return re.findall(r'href="/devices/\d+">([^<]+)</a>', page)


def test_report_pages_keep_the_filters(app, client, login, engineer, scaled, monkeypatch):
    """With 10 rows a page, the report shows page 1 of a company's rows and its Next link keeps the filter."""
    monkeypatch.setitem(app.config, "DEVICES_PER_PAGE", 10)
    alpha, _beta = scaled(15)
    login(engineer)
    page = client.get(f"{REPORT}?company={alpha.id}&device=load").text
    assert len(shown_hostnames(page)) == 10 and "Page 1 of 2 · 16 rows" in page
    next_link = re.search(r'href="([^"]+)"\s+rel="next"', page).group(1).replace("&amp;", "&")
    assert f"company={alpha.id}" in next_link and "device=load" in next_link and "page=2" in next_link
    second = client.get(next_link).text
    assert len(shown_hostnames(second)) == 6 and "Page 2 of 2" in second


PAST_THE_END = ("3", "10000", "2147483647")


@pytest.mark.parametrize("page", [*PAST_THE_END, "9" * 40, "-4", "abc"])
def test_a_page_past_the_end_says_so_and_links_to_the_last(app, client, login, engineer, scaled, monkeypatch, page):
    """Any page number answers 200; one past the end says how many pages there are and links to the
    last; one no page could have (beyond 32 bits, negative, not a number) shows the first."""
    monkeypatch.setitem(app.config, "DEVICES_PER_PAGE", 10)
    scaled(5)
    login(engineer)
    response = client.get(f"{REPORT}?page={page}")
    assert response.status_code == 200
    if page in PAST_THE_END:
        assert "That page is past the end of the report: it has 1" in response.text
        assert f'href="{REPORT}?page=1">Go to the last page' in response.text
    else:
        assert len(shown_hostnames(response.text)) == 10


def test_the_device_filter_takes_part_of_a_hostname_literally(client, login, engineer, make_device, make_change,
                                                              company, org, db):
    """Typing part of a hostname filters the report; `_` and `%` match only themselves."""
    change = make_change()
    for hostname in ("web_01", "webx01", "db01"):
        device = make_device(hostname, company=company)
        db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id, mention=hostname))
    db.session.commit()
    login(engineer)
    assert shown_hostnames(client.get(f"{REPORT}?device=WEB_").text) == ["web_01"]
    assert shown_hostnames(client.get(f"{REPORT}?device=%25").text) == []


def test_a_device_pages_report_link_shows_that_device_only(client, login, engineer, make_device, make_change,
                                                           company, org, db):
    """From srv01's page the report lists srv01's changes, not srv010's; the pager and CSV keep it so."""
    change = make_change()
    devices = [make_device(hostname, company=company) for hostname in ("srv01", "SRV010")]
    db.session.add_all(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id,
                                    mention=device.hostname) for device in devices)
    db.session.commit()
    login(engineer)
    link = re.search(r'href="(/reports/device-changes\?[^"]+)">Report', client.get(f"/devices/{devices[0].id}").text)
    url = link.group(1).replace("&amp;", "&")
    page = client.get(url).text
    assert shown_hostnames(page) == ["srv01"] and "exact=y" in page.split("Download CSV")[0]
    assert sorted(shown_hostnames(client.get(url.replace("exact=y", "")).text)) == ["SRV010", "srv01"]
    assert "SRV010" not in client.get(url + "&format=csv").text


@pytest.mark.parametrize("query", ["", "?page=3", "?format=csv"])
def test_report_statement_count_does_not_grow_with_the_data(app, db, org, login, engineer, scaled, counted_get,
                                                            monkeypatch, query):
    """The report page (first or later, 10 rows a page) and its CSV send as many statements at 40 rows
    as at 140 over more devices."""
    monkeypatch.setitem(app.config, "DEVICES_PER_PAGE", 10)
    scaled(20)
    login(engineer)
    _, few = counted_get(REPORT + query)
    scaled(50)
    response, many = counted_get(REPORT + query)
    assert "load-" in response.get_data(as_text=True)
    assert len(many) == len(few), "\n".join(many)


def test_report_csv_holds_exactly_the_filtered_rows_in_order(client, login, engineer, scaled, db, org):
    """The CSV of one company is every change × device of that company's devices, newest first."""
    alpha, _beta = scaled(12)
    login(engineer)
    rows = csv_rows(client.get(f"{REPORT}?format=csv&company={alpha.id}"))
    when = func.coalesce(Change.window_start, Change.created_at)
    expected = db.session.execute(
        select(Device.hostname, Change.number).join(ChangeDevice.change).join(ChangeDevice.device)
        .where(ChangeDevice.organisation_id == org.id, Device.company_id == alpha.id)
        .order_by(when.desc(), Change.id.desc(), Device.hostname)).all()
    assert [(row[1], row[4]) for row in rows[1:]] == [(host, f"CHG-{number:06d}") for host, number in expected]
    assert len(expected) == 12 and {row[3] for row in rows[1:]} == {"Alpha"}


def test_report_csv_is_streamed_in_bounded_batches(app, client, login, engineer, scaled, monkeypatch):
    """The header leaves before any row is read, then each piece reads at most one batch more than it sends."""
    monkeypatch.setitem(app.config, "CSV_BATCH_ROWS", 7)
    scaled(20)  # 40 rows
    read = []
    original = csv_download._rows

    def counting_rows(stmt, batch):
        for row in original(stmt, batch):
            read.append(row)
            yield row

    monkeypatch.setattr(csv_download, "_rows", counting_rows)
    login(engineer)
    response = client.get(f"{REPORT}?format=csv", buffered=False)
    assert response.headers["Content-Disposition"] == 'attachment; filename="device-changes.csv"'
    pieces = iter(response.response)
    header = next(pieces).decode()
    assert header.startswith("\ufeff\"Date (UTC)\"") and header.count("\n") == 1 and read == []
    sent = 0
    for piece in pieces:
        sent += piece.decode().count("\n")
        assert len(read) - sent <= 7
    response.close()
    assert sent == len(read) == 40


def test_report_csv_memory_does_not_grow_with_its_rows(app, client, login, engineer, scaled, monkeypatch):
    """Streaming 600 rows holds about what streaming 60 does (batches of 20): nothing keeps every row."""
    monkeypatch.setitem(app.config, "CSV_BATCH_ROWS", 20)
    login(engineer)

    def peak_while_streaming() -> tuple[int, int]:
        client.get(f"{REPORT}?format=csv")  # warm-up: compiled statements and caches are not rows
        tracemalloc.start()
        try:
            response = client.get(f"{REPORT}?format=csv", buffered=False)
            size = sum(len(piece) for piece in response.response)
            response.close()
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()

    scaled(30)
    small_peak, small_size = peak_while_streaming()
    scaled(270)
    large_peak, large_size = peak_while_streaming()
    assert large_size > 9 * small_size
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
