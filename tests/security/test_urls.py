"""Hostile query parameters on every GET route and hostile ids in every URL argument (PRODUCT §4).

Routes come from the url_map; parameter names from every link and GET form the walk of the app
met (`crawl.py`) plus the ones views read, so a new filter is covered once a page links to it.
"""
import re
from urllib.parse import quote, urlencode

import pytest

from app import create_app
from cbcw.config import TestConfig
from cbcw.main.numbers import BoundedIntConverter
from tests.security.crawl import SKIPPED_ENDPOINTS, any_values, build, get_rules
from tests.security.hostile import MARKUP, answer_problems, is_product_error_page

APP = create_app(TestConfig)
GET_RULES = [rule for rule in get_rules(APP) if rule.endpoint not in SKIPPED_ENDPOINTS]
# Parameters views read that no link may carry yet (the walk adds every one it meets).
KNOWN_PARAMETERS = {"page", "q", "company", "company_id", "mine", "view", "date", "week", "state", "tab", "action",
                    "refresh", "popup", "format", "type", "device", "active", "date_from", "date_to",
                    "linked_ticket_query"}
QUERY_VALUES = {
    "markup": MARKUP, "nul": "a\x00b", "beyond-64-bits": str(2**64), "minus-one": "-1", "month-13": "2026-13-45",
    "year-0": "0000-01-01", "year-10000": "10000-01-01", "superscript-digits": "\u00b2\u00b3",
}
INT_RULES = [rule for rule in APP.url_map.iter_rules()
             if any(isinstance(c, BoundedIntConverter) for c in rule._converters.values())]  # noqa: SLF001
BEYOND_COLUMNS = [str(2**64 + 1), str(2**64), str(2**128), "9" * 40]
ODD_IDS = ["-1", "%2D1", "0", "1%00", "1e3", "\uff11", "+1"]


@pytest.fixture(scope="module")
def parameters(site):
    """Every query parameter name a page of the app links to or submits, and the known ones."""
    names = set(KNOWN_PARAMETERS)
    for url, _ in site.pages:
        names |= set(re.findall(r"[?&]([^=&#]+)=", url))
    return sorted(names)


def _url(rule, world):
    choices = any_values(rule)
    return build(rule, {**world.ids, **{name: values[0] for name, values in choices.items()}})


@pytest.mark.parametrize("rule", GET_RULES, ids=lambda r: r.rule)
def test_hostile_query_parameters(world, parameters, rule):
    """Every parameter at once with each hostile value (beyond 64 bits, negative, markup,
    impossible dates, years 0 and 10000; markup as HTMX too): no 500, echoed escaped."""
    problems = []
    for name, value in QUERY_VALUES.items():
        url = f"{_url(rule, world)}?{urlencode([(parameter, value) for parameter in parameters])}"
        for htmx in (False, True) if name == "markup" else (False,):
            try:
                response = world.client.get(url, headers={"HX-Request": "true"} if htmx else {})
            except Exception as error:  # noqa: BLE001 - the finding itself
                problems.append(f"{name}{' (htmx)' if htmx else ''}: raised {type(error).__name__}: {error}")
                continue
            problems += answer_problems(response, f"{name}{' (htmx)' if htmx else ''}")
    assert problems == []


def _with_id(rule, world, value):
    """The rule's URL with every int argument set to `value` (percent-escapes kept as written)."""
    ints = {name for name, converter in rule._converters.items() if isinstance(converter, BoundedIntConverter)}  # noqa: SLF001
    choices = any_values(rule)
    return build(rule, {**world.ids, **{name: values[0] for name, values in choices.items()},
                        **{name: value for name in ints}})


@pytest.mark.parametrize("rule", INT_RULES, ids=lambda r: f"{sorted(r.methods - {'HEAD', 'OPTIONS'})} {r.rule}")
def test_ids_beyond_64_bits_are_404(world, rule):
    """An id of 2^64, 2^64+1, 2^128 or 40 digits in any URL argument is the product's 404,
    GET, POST and HTMX alike."""
    problems = []
    for value in BEYOND_COLUMNS:
        url = _with_id(rule, world, value)
        for method in sorted(rule.methods & {"GET", "POST"}):
            for htmx in (False, True):
                with world.isolated():
                    response = world.client.open(url, method=method, headers={"HX-Request": "true"} if htmx else {},
                                                 data={"csrf_token": world.csrf_token()} if method == "POST" else None)
                if response.status_code != 404 or not is_product_error_page(response):
                    problems.append(f"{method} {url[:80]} htmx={htmx}: {response.status_code}")
    assert problems == []


@pytest.mark.parametrize("rule", INT_RULES, ids=lambda r: f"{sorted(r.methods - {'HEAD', 'OPTIONS'})} {r.rule}")
def test_odd_ids_never_fail(world, rule):
    """Negative ids (also %-escaped), zero, a NUL, an exponent, a fullwidth digit, a plus sign,
    and leading zeros on a real id: never a 500, and any refusal is the product's page."""
    problems = []
    real = {name: f"000{value}" for name, value in world.ids.items()}
    for value in [*ODD_IDS, None]:
        url = _with_id(rule, world, quote(value, safe="%") if value else None) if value else build(
            rule, {**real, **{name: values[0] for name, values in any_values(rule).items()}})
        for method in sorted(rule.methods & {"GET", "POST"}):
            with world.isolated():  # a leading-zero id is a real change: a POST would act on it
                try:
                    response = world.client.open(url, method=method,
                                                 data={"csrf_token": world.csrf_token()} if method == "POST" else None)
                except Exception as error:  # noqa: BLE001 - the finding itself
                    problems.append(f"{method} {url}: raised {type(error).__name__}: {error}")
                    continue
                problems += answer_problems(response, f"{method} {url}")
    assert problems == []
