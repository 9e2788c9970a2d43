"""Every interactive ConnectWise path ends within CW_INTERACTIVE_BUDGET even when the server sends
its headers at once and then trickles the body a byte at a time (PRODUCT §3.1): the budget is a
deadline on the whole exchange, not a read timeout that restarts with every byte."""
import time

import pytest

from tests.cw_tickets.conftest import ACME_CW_ID

BUDGET = 1.0
HX = {"HX-Request": "true"}


@pytest.fixture
def trickling(app, db, cw_settings, trickling_server):
    """The organisation's ConnectWise is the trickling server; interactive calls get BUDGET seconds."""
    app.config.update(CW_INTERACTIVE_BUDGET=BUDGET, CW_READ_TIMEOUT=0.8)
    cw_settings.base_url = trickling_server.base_url
    db.session.commit()
    return trickling_server


@pytest.fixture
def member_change(make_user, match_member, make_change, map_company, company):
    user = make_user("engineer")
    match_member(user)
    map_company(company, ACME_CW_ID)
    return user, make_change(created_by=user, company=company, linked_ticket_id=5010, linked_ticket_summary="x")


def timed(call):
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response.get_data(as_text=True)


def test_test_connection_is_cut_at_the_budget(post, login, admin, trickling):
    login(admin)
    elapsed, body = timed(lambda: post("/settings/integrations/connectwise/test", headers=HX))
    assert elapsed < BUDGET + 0.6
    assert f"did not answer within {BUDGET:g} seconds" in body


def test_the_default_budget_cuts_test_connection_at_ten_seconds(app, post, login, admin, db, cw_settings,
                                                                trickling_server):
    """With the configuration as shipped (CW_INTERACTIVE_BUDGET 10), the worker is free after 10 s."""
    assert app.config["CW_INTERACTIVE_BUDGET"] == 10
    cw_settings.base_url = trickling_server.base_url
    db.session.commit()
    login(admin)
    elapsed, body = timed(lambda: post("/settings/integrations/connectwise/test", headers=HX))
    assert 9.5 < elapsed < 11.0
    assert "did not answer within 10 seconds" in body


def test_ticket_widget_is_cut_at_the_budget(client, login, trickling, member_change):
    user, change = member_change
    login(user)
    elapsed, body = timed(lambda: client.get(f"/changes/{change.id}/connectwise-ticket", headers=HX))
    assert elapsed < BUDGET + 0.6
    assert "#5010" in body  # the widget still answers, saying ConnectWise could not be read


def test_ticket_typeahead_is_cut_at_the_budget(client, login, trickling, member_change, company):
    user, _ = member_change
    login(user)
    elapsed, body = timed(lambda: client.get(f"/connectwise/companies/{company.id}/tickets",
                                             query_string={"linked_ticket_query": "switch"}, headers=HX))
    assert elapsed < BUDGET + 0.6
    assert "Could not search ConnectWise" in body


def test_time_entry_is_cut_at_the_budget(post, login, trickling, member_change):
    user, change = member_change
    login(user)
    form = {"time_start": "2030-03-04T09:00", "time_end": "2030-03-04T10:30", "notes": "work", "popup": "1"}
    elapsed, body = timed(lambda: post(f"/changes/{change.id}/connectwise-ticket/time-entry", form))
    assert elapsed < BUDGET + 0.6
    assert "may or may not have been saved" in body
