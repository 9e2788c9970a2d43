"""Everyday use, round two (issue 23): the list's sorting and implementer column, the timeline's
system events filter, device links on the change page, one kind of line break in saved texts."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from cbcw.changes.models import Change, ChangeDevice, TimelineEntry


def text(response) -> str:
    return response.get_data(as_text=True)


def numbers(page: str) -> list[str]:
    """The change numbers of the list's rows, in order."""
    return re.findall(r'data-row-link>(CHG-\d+)</a>', page)


@pytest.fixture
def three(make_change, make_user):
    """Three changes whose title, risk and implementer sort differently."""
    zed, amy = make_user("engineer", display_name="Zed Zimmer"), make_user("engineer", display_name="amy Adams")
    first = make_change(title="beta", risk="high", implementer_id=zed.id)
    second = make_change(title="Alpha", risk="low", implementer_id=amy.id)
    third = make_change(title="gamma", risk="medium")
    return first, second, third


def test_list_sorts_by_a_whitelisted_column_both_ways(client, login, engineer, three):
    """?sort=title sorts A→Z ignoring case, ?sort=-title Z→A; risk sorts by level, not by word."""
    first, second, third = three
    login(engineer)
    assert numbers(text(client.get("/changes?sort=title"))) == [second.reference, first.reference, third.reference]
    assert numbers(text(client.get("/changes?sort=-title"))) == [third.reference, first.reference, second.reference]
    assert numbers(text(client.get("/changes?sort=risk"))) == [second.reference, third.reference, first.reference]


def test_sorting_by_implementer_puts_changes_without_one_last(client, login, engineer, three):
    """The implementer column sorts by name (any case), with unassigned changes last either way."""
    first, second, third = three
    login(engineer)
    page = text(client.get("/changes?sort=implementer"))
    assert numbers(page) == [second.reference, first.reference, third.reference]
    assert numbers(text(client.get("/changes?sort=-implementer")))[-1] == third.reference
    assert '<td data-label="Implementer">Zed Zimmer</td>' in page


def test_sort_heading_says_how_the_list_is_sorted_and_links_the_other_way(client, login, engineer, three):
    """The sorted column has aria-sort and links to the opposite order, keeping the filters."""
    login(engineer)
    page = text(client.get("/changes?sort=title&state=draft"))
    heading = re.search(r'<th aria-sort="ascending">\s*<a href="([^"]+)"[^>]*>Title', page)
    assert heading and "sort=-title" in heading.group(1) and "state=draft" in heading.group(1)
    assert page.count("aria-sort=") == 1
    assert '<input type="hidden" name="sort" value="title" form="change-filters">' in page


@pytest.mark.parametrize("sort", ["password", "-", "title;drop", "--title", "x" * 300])
def test_unknown_sort_falls_back_to_newest_update_first(client, login, engineer, three, sort):
    """Anything outside the whitelist is ignored: the default order, never a 500."""
    login(engineer)
    response = client.get("/changes", query_string={"sort": sort})
    assert response.status_code == 200
    assert numbers(text(response)) == numbers(text(client.get("/changes")))


def test_ties_keep_one_order_page_after_page(client, login, engineer, make_change, app):
    """Rows that tie on the sorted column are ordered by id, so paging never repeats or drops one."""
    app.config["CHANGES_PER_PAGE"] = 2
    made = [make_change(title="Same", risk="low") for _ in range(5)]
    login(engineer)
    seen = [n for page in (1, 2, 3) for n in numbers(text(client.get(f"/changes?sort=risk&page={page}")))]
    assert seen == [change.reference for change in made]


def test_list_tells_about_its_keyboard_shortcuts(client, login, engineer, three):
    """The j/k/Enter shortcuts are named in a help line the table points at, and on each row link."""
    login(engineer)
    page = text(client.get("/changes"))
    assert 'aria-describedby="list-keys-help"' in page and "<kbd>j</kbd> next change" in page
    assert page.count('aria-keyshortcuts="j k"') == 3


# --- Timeline: system events ---------------------------------------------------------------------


@pytest.fixture
def busy(db, make_change, engineer):
    change = make_change(title="Busy")
    db.session.add_all([
        TimelineEntry(organisation_id=change.organisation_id, change_id=change.id, actor_id=engineer.id,
                      kind="comment", message="Erin said something"),
        TimelineEntry(organisation_id=change.organisation_id, change_id=change.id, actor_id=None,
                      kind="integration", message="ConnectWise note sent"),
    ])
    db.session.commit()
    return change


def test_timeline_hides_system_events_by_url_and_remembers_it(client, login, engineer, busy, make_change):
    """?system=hide leaves out entries no person made and is remembered for the next timeline opened;
    ?system=show brings them back."""
    login(engineer)
    shown = text(client.get(f"/changes/{busy.id}?tab=timeline"))
    assert "ConnectWise note sent" in shown and "Hide system events" in shown
    hidden = client.get(f"/changes/{busy.id}?tab=timeline&system=hide")
    assert "ConnectWise note sent" not in text(hidden) and "Erin said something" in text(hidden)
    assert "1 system event (integration writes, automatic steps) hidden." in text(hidden)
    assert "timeline_system=hide" in hidden.headers["Set-Cookie"] and "HttpOnly" in hidden.headers["Set-Cookie"]
    assert "ConnectWise note sent" not in text(client.get(f"/changes/{busy.id}?tab=timeline"))  # remembered
    assert "ConnectWise note sent" in text(client.get(f"/changes/{busy.id}?tab=timeline&system=show"))
    assert "ConnectWise note sent" in text(client.get(f"/changes/{busy.id}?tab=timeline"))


def test_a_hostile_system_value_is_ignored(client, login, engineer, busy):
    """An unknown ?system= value shows everything and sets no cookie."""
    login(engineer)
    response = client.get(f"/changes/{busy.id}?tab=timeline&system=<script>")
    assert "ConnectWise note sent" in text(response) and "timeline_system" not in response.headers.get("Set-Cookie", "")


# --- Devices and texts ---------------------------------------------------------------------------


def test_mention_chips_and_device_rows_link_to_the_device(client, login, engineer, make_change, make_device, db):
    """Each resolved @hostname chip and each row of the Devices table links to the device's page."""
    device = make_device("srv01")
    change = make_change(description="Reboot @SRV01 then @ghost", unresolved_mentions=["ghost"])
    db.session.add(ChangeDevice(organisation_id=change.organisation_id, change_id=change.id, device_id=device.id,
                                mention="SRV01"))
    db.session.commit()
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert f'<a class="mention" href="/devices/{device.id}">@SRV01</a>' in page
    assert f'<a href="/devices/{device.id}">srv01</a>' in page
    assert '<span class="mention-unresolved">@ghost</span>' in page


def test_saved_texts_have_one_kind_of_line_break(csrf_token, client, login, engineer, company, people, db):
    """A browser posts textarea lines with \\r\\n; the change stores (and so posts on) "\\n" only."""
    login(engineer)
    client.post("/changes/new", data={
        "title": "Lines", "company_id": str(company.id), "risk": "low", "implementation_plan": "one\r\ntwo\rthree\nfour",
        "description": "a\r\nb", "technical_approver_id": str(people.technical.id),
        "operational_approver_id": str(people.operational.id), "csrf_token": csrf_token()})
    change = db.session.scalar(select(Change))
    assert change.implementation_plan == "one\ntwo\nthree\nfour" and change.description == "a\nb"
