"""The changes list as CSV (`/changes?format=csv`, PRODUCT §2.10): the rows the list's filters
select (every filter, quick filters and search included), in the list's order, streamed and
formula-safe, never a row of another organisation, never a 500. (Its statement count:
tests/changes/test_statement_counts.py.)"""
import csv
import io
import re

import pytest

from cbcw.demo.scale import seed_scale
from tests.changes.test_list_filters import my_work  # noqa: F401 (a fixture)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def listed_numbers(response) -> list[str]:
    """The change numbers the list page shows, in its order."""
    return re.findall(r'<td class="number-cell"[^>]*><a href="/changes/\d+"[^>]*>(CHG-\d+)</a>', response.get_data(as_text=True))


def download_link(response) -> str:
    return re.search(r'href="([^"]*format=csv[^"]*)" download>Download CSV', response.get_data(as_text=True)) \
        .group(1).replace("&amp;", "&")


@pytest.mark.parametrize("query", ["", "mine=approval", "mine=assigned", "mine=requested", "state=pending_approval",
                                   "q=approve", "q=I+approve&state=pending_approval", "mine=approval&q=vcab",
                                   "sort=company", "sort=-implementer", "sort=risk&mine=requested"])
def test_csv_holds_the_rows_the_filtered_list_shows_in_its_order(app, client, login, my_work, monkeypatch, query):
    """The list's Download CSV link carries its filters, and the file lists exactly the list's changes, in order."""
    monkeypatch.setitem(app.config, "CHANGES_PER_PAGE", 100)
    login(my_work.user)
    page = client.get(f"/changes?{query}")
    link = download_link(page)
    for pair in filter(None, query.split("&")):
        assert pair.replace("+", "%20") in link or pair in link, (pair, link)
    rows = csv_rows(client.get(link))
    assert [row[0] for row in rows[1:]] == listed_numbers(page) and len(rows) > 1


def test_csv_columns_name_the_viewers_zone_and_neutralise_formulas(client, login, engineer, make_change, people, db):
    """The header names the viewer's timezone on time columns; a title starting with = gets an apostrophe."""
    engineer.timezone = "Europe/London"
    db.session.commit()
    make_change(title='=HYPERLINK("http://evil")', implementer_id=people.implementer.id, risk="high")
    login(engineer)
    response = client.get("/changes?format=csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="changes.csv"'
    header, row = csv_rows(response)
    assert header == ["Number", "Title", "Type", "Company", "State", "Risk", "Window start (Europe/London)",
                      "Window end (Europe/London)", "Implementer", "Requested by", "Updated (Europe/London)"]
    assert row[1] == "'=HYPERLINK(\"http://evil\")" and row[2:6] == ["Normal", "Acme Manufacturing", "Draft", "High"]
    assert row[8] == "Ivan Implementer"


def test_csv_never_holds_another_organisations_changes(client, login, engineer, make_change, make_org, make_user,
                                                       make_company):
    """Not by default, not when searched for by title or number, not by naming the other organisation's company."""
    other = make_org()
    foreign_company = make_company("Foreign Co", organisation=other)
    foreign = make_change(organisation=other, created_by=make_user("admin", organisation=other),
                          title="Foreign secret change", company_id=foreign_company.id)
    make_change(title="Our change")
    login(engineer)
    for query in ("", "q=secret", f"q={foreign.reference}", f"company={foreign_company.id}", "mine=requested"):
        text = client.get(f"/changes?format=csv&{query}").get_data(as_text=True)
        assert "Foreign" not in text, query


@pytest.mark.parametrize("query", [
    "page=" + "9" * 40, "company=" + "9" * 30, "company=abc", "state=exploded", "mine=everything",
    "q=%25_%25", "q=" + "x" * 5000, "q=%3D1%2B1", "format=csv&format=html",
])
def test_hostile_filters_give_a_csv_never_a_500(client, login, engineer, make_change, query):
    """Impossible ids, unknown states, wildcards, very long searches: a CSV with its header, never a 500."""
    make_change(title="Plain change")
    login(engineer)
    rows = csv_rows(client.get(f"/changes?format=csv&{query}"))
    assert rows[0][0] == "Number"


def test_list_csv_streams_its_rows_in_batches(app, client, login, engineer, org, make_company, db, monkeypatch):
    """The header leaves before the rows are read, and the rows follow a batch at a time."""
    monkeypatch.setitem(app.config, "CSV_BATCH_ROWS", 10)
    make_company()
    seed_scale(org.id, 35)
    db.session.commit()
    login(engineer)
    response = client.get("/changes?format=csv", buffered=False)
    pieces = [piece.decode() for piece in response.response]
    response.close()
    assert pieces[0].count("\n") == 1 and pieces[0].lstrip("\ufeff").startswith('"Number"')
    assert [piece.count("\n") for piece in pieces[1:] if piece] == [10, 10, 10, 5]
