"""Find every page and every form of the app by walking it as a browser would.

The walk starts from every GET route of the url_map (built with the world's ids, each change
route once per change state), follows the links and `hx-get`s it finds and submits the GET forms
(filters, searches) with what they show. Every POST form met is recorded under the route it posts
to, so a new route and a new field are covered as soon as a page shows them.

A POST route no page shows a form for cannot be tested from its fields: the suite fails and
asks for the page that shows it to be added to `FORM_PAGES`.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, Rule

from tests.security.hostile import Form, forms_in, links_in

SKIPPED_ENDPOINTS = {"static", "main.healthz", "accounts.logout"}  # not pages; logout ends the walk
# Pages that show a form only when reached in a way the walk does not take by itself:
# endpoint -> query strings to add to its URL. (None needed yet: add one here if a POST route
# is reported as undiscovered.)
FORM_PAGES: dict[str, list[str]] = {}
PAGES_PER_VIEW = 8  # URLs per endpoint and path arguments (query strings vary)
VIEWS_PER_ENDPOINT = 5  # path arguments per endpoint beyond the start URLs (five of 200 devices)
MAX_PAGES = 400
_ARGUMENT = re.compile(r"<(?:([^:>(]+)(?:\(([^)]*)\))?:)?(\w+)>")


def any_values(rule: Rule) -> dict[str, list[str]]:
    """The values each `<any(…)>` argument of the rule can take."""
    return {name: sorted(converter.items)
            for name, converter in rule._converters.items() if isinstance(converter, AnyConverter)}  # noqa: SLF001


def any_combinations(rule: Rule) -> list[dict[str, str]]:
    """Every combination of the rule's `<any(…)>` values ([{}] for a rule without one)."""
    choices = any_values(rule)
    return [dict(zip(choices, combination)) for combination in itertools.product(*choices.values())]


@dataclass(frozen=True)
class Target:
    """One POST route, with its `any()` arguments fixed (each transition is its own target)."""

    rule: Rule
    fixed: tuple[tuple[str, str], ...] = ()

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def label(self) -> str:
        return self.rule.rule if not self.fixed else f"{self.rule.rule} {dict(self.fixed)}"


def post_targets(app) -> list[Target]:
    """Every POST route of the url_map, one per value of its `any()` arguments."""
    return [Target(rule, tuple(fixed.items())) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if "POST" in rule.methods for fixed in any_combinations(rule)]


def get_rules(app) -> list[Rule]:
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if "GET" in rule.methods and rule.endpoint not in SKIPPED_ENDPOINTS]


def build(rule: Rule, values: dict) -> str:
    """The rule's path with each argument replaced by values[argument]."""
    return _ARGUMENT.sub(lambda match: str(values[match.group(3)]), rule.rule)


@dataclass
class Page:
    url: str
    htmx: bool
    status: int
    body: str
    html: bool = True  # False for what is not a page (the calendar feed is text/calendar: text there is no markup)


@dataclass(frozen=True)
class FoundForm:
    page_url: str
    form: Form
    anonymous: bool  # shown to a visitor who is not logged in (the login form)


@dataclass
class Crawl:
    pages: dict[tuple[str, bool], Page] = field(default_factory=dict)  # (URL, htmx) -> page
    forms: dict[tuple, FoundForm] = field(default_factory=dict)  # (endpoint, fixed any() values) -> form

    def form_for(self, target: Target) -> FoundForm | None:
        return self.forms.get((target.endpoint, target.fixed))


def start_urls(app, world) -> list[str]:
    urls = []
    for rule in get_rules(app):
        every_change = "change_id" in rule.arguments and not any_values(rule)  # a transition's GET only redirects
        for change_id in world.changes.values() if every_change else [world.ids["change_id"]]:
            for fixed in any_combinations(rule):
                urls.append(build(rule, {**world.ids, "change_id": change_id, **fixed}))
                urls += [urls[-1] + query for query in FORM_PAGES.get(rule.endpoint, [])]
    return list(dict.fromkeys(urls))


def crawl(world) -> Crawl:
    """Visit the app from every GET route, logged in and not, and record every page and POST form."""
    urls = start_urls(world.client.application, world)
    result = Crawl()
    _walk(world.client, urls, result, anonymous=False)
    _walk(world.anonymous, urls[:1], result, anonymous=True)  # every URL leads a visitor to the login page
    return result


def _walk(client, urls: list[str], result: Crawl, anonymous: bool) -> None:
    adapter = client.application.url_map.bind("localhost")
    queue = [(url, False) for url in urls]
    per_view: Counter = Counter()
    views: dict[str, set] = {}
    starts = set(urls)
    pages = {}
    while queue and len(pages) < MAX_PAGES:
        url, htmx = queue.pop(0)
        url = urlsplit(url)._replace(fragment="").geturl()
        if (url, htmx) in pages:
            continue
        view = _view(adapter, url)
        if view is None or view[0] in SKIPPED_ENDPOINTS or per_view[view] >= PAGES_PER_VIEW:
            continue
        known = views.setdefault(view[0], set())
        if view not in known and len(known) >= VIEWS_PER_ENDPOINT and url not in starts:
            continue
        known.add(view)
        per_view[view] += 1
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        if response.status_code in (301, 302, 303) and anonymous:
            queue.append((response.location, False))
        body = response.get_data(as_text=True)
        pages[(url, htmx)] = Page(url, htmx, response.status_code, body, "html" in response.content_type)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for form in forms_in(body, url):
            for action in [form.action, *form.other_actions]:
                action = urljoin(url, action)
                if form.method == "post":
                    _record_form(result, adapter, action, form, url, anonymous)
                else:
                    queue.append((f"{urlsplit(action).path}?{urlencode(_get_form_values(form))}", form.htmx))
        queue += [(urljoin(url, link), by_htmx) for link, by_htmx in links_in(body) if _same_app(link)]
    if not anonymous:
        result.pages.update(pages)


def _record_form(result: Crawl, adapter, action: str, form: Form, page_url: str, anonymous: bool) -> None:
    path = urlsplit(action).path
    try:
        rule, arguments = adapter.match(path, method="POST", return_rule=True)
    except HTTPException:
        return
    fixed = tuple((name, arguments[name]) for name in any_values(rule))
    key = (rule.endpoint, fixed)
    known = result.forms.get(key)
    if known is None or (known.anonymous and not anonymous) or (
            known.anonymous == anonymous and len(form.fields) > len(known.form.fields)):  # the fullest rendering
        result.forms[key] = FoundForm(page_url, replace(form, action=path, other_actions=[]), anonymous)


def _get_form_values(form: Form) -> list[tuple[str, str]]:
    """What a GET form sends as shown, with empty search boxes given a letter to search for."""
    pairs = []
    for item in form.fields:
        values = item.values or ([] if item.kind in ("checkbox", "radio") else [""])
        pairs += [(item.name, value or ("a" if item.kind == "search" or item.name == "q" else "")) for value in values]
    return pairs


def _view(adapter, url: str) -> tuple | None:
    """(endpoint, path arguments) of a GET URL, or None when no route serves it."""
    try:
        rule, arguments = adapter.match(urlsplit(url).path, method="GET", return_rule=True)
    except HTTPException:
        return None
    return rule.endpoint, tuple(sorted(arguments.items()))


def _same_app(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//") and not link.startswith("/static/")
