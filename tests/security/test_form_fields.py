"""Hostile values in every field of every form, found by walking the app (PRODUCT §4).

The POST routes come from the url_map and their fields from the pages that show their forms
(`crawl.py`), so a new route or field is tested the day it appears; a POST route whose form no
page shows fails `test_every_post_route_shows_a_form` until its page is added to `FORM_PAGES`.
Each post runs in a savepoint rolled back afterwards, so every payload meets the same data.
"""
import pytest

from app import create_app
from cbcw.config import TestConfig
from tests.security.crawl import post_targets
from tests.security.hostile import DATE_PAYLOADS, DATE_PLACEHOLDERS, PAYLOAD_BY_NAME, PAYLOADS
from tests.security.posting import all_fields, holds_text, post_and_judge, valid_baseline, value_fields, with_value

TARGETS = post_targets(create_app(TestConfig))
# Per field (the others as the page shows them, filled in to pass): the payloads that reach
# the field's own parsing and re-rendering (markup is stored and shown by
# test_hostile_text_shown.py; here, too long, it must be refused and shown back escaped).
FIELD_PAYLOADS = [PAYLOAD_BY_NAME[name] for name in ("oversized-markup", "beyond-64-bits")]


def _found(site, target):
    found = site.form_for(target)
    if found is None:
        pytest.fail(f"No page shows a form posting to {target.label()} ({target.endpoint}): add the page that "
                    "shows it to FORM_PAGES in tests/security/crawl.py so its fields get hostile input.")
    return found


def test_every_post_route_shows_a_form(site):
    """Every POST route of the url_map (each transition apart) has a form the walk found."""
    missing = [target.label() for target in TARGETS if site.form_for(target) is None]
    assert missing == [], (f"no page shows a form for {missing}: add the page that shows it to FORM_PAGES "
                           "in tests/security/crawl.py")


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label())
def test_hostile_value_in_every_field_at_once(world, site, target):
    """Each payload in all of a form's fields: never a 500, never echoed as markup, and a value
    no field may hold (oversized) stores nothing."""
    found = _found(site, target)
    problems, sent = [], set()
    for payload in PAYLOADS:
        pairs, refused = all_fields(found, payload)
        if repr(pairs) in sent:
            continue  # a form of buttons only: every payload sends the same request
        sent.add(repr(pairs))
        problems += post_and_judge(world, found, pairs, payload.name, refused=refused)
        if found.form.htmx and payload.name in ("markup", "oversized-markup"):
            problems += post_and_judge(world, found, pairs, f"{payload.name} (htmx)", htmx=True, refused=refused)
    assert problems == []


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label())
def test_hostile_value_in_each_field_alone(world, site, target):
    """Each field alone gets oversized markup and a number beyond 64 bits, and a date input
    impossible or extreme dates, the rest as the page fills them: no 500, the markup refused
    and shown back escaped."""
    found = _found(site, target)
    baseline = valid_baseline(found)
    problems = []
    dates = {item.name for item in found.form.fields if item.placeholder in DATE_PLACEHOLDERS}
    for name in value_fields(found):
        for payload in FIELD_PAYLOADS + (DATE_PAYLOADS if name in dates else []):
            problems += post_and_judge(world, found, with_value(baseline, name, payload.value),
                                       f"{name}={payload.name}", refused=payload.refused and any(
                                           item.name == name and holds_text(item) for item in found.form.fields))
    assert problems == []


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label())
def test_repeated_and_missing_fields(world, site, target):
    """Every field sent twice with different values, or the form sent with no fields at all
    (CSRF token only): no 500 and no markup."""
    found = _found(site, target)
    baseline = valid_baseline(found)
    script = PAYLOAD_BY_NAME["markup"].value
    repeated = [pair for name, value in baseline for pair in ((name, value), (name, script))]
    problems = post_and_judge(world, found, repeated, "repeated")
    problems += post_and_judge(world, found, [], "missing")
    assert problems == []
