"""Proof that a browser interaction went through htmx, and waits that make it safe to assert.

A click on an hx- element works only once htmx has processed the page. Before that, the same
click is the element's no-JavaScript fallback: a form posts, a link loads a whole page, and as
the full page renders the same result (Test Connection's last result, a mapped company), an
assertion on the text passes either way. So these helpers never infer HTMX from what is shown:

- `PROBE`, installed on every context by the `page` fixture (an init script through the DevTools
  protocol, run in each new document before any page script; the CSP does not apply to it),
  gives each document a `window.__htmxProbe` with a random `id`, a `ready` flag and the list of
  responses htmx has settled. `ready` turns true on the `htmx:load` event htmx 2 fires on
  `document.body` after its start-up `processNode(body)` has attached every hx- trigger
  (static/vendor/htmx-2.0.11.min.js: on DOMContentLoaded, then `htmx:load` on body in a
  setTimeout). Nothing else fires `htmx:load` on body here (no hx-boost, no swap into body).
  Playwright's "load" state is weaker: until a new document commits (after a form post and its
  redirect, say) it is the old document's, and it proves nothing about htmx's start-up.
- `goto` navigates and waits for `ready`; `login` (conftest) does too where it lands.
- `htmx_swap` wraps an action: it waits for `ready`, expects a response to a request carrying
  htmx's `HX-Request: true` header for the given method and URL, then waits until htmx has
  settled that very response (`htmx:afterSettle`, matched on the XMLHttpRequest's responseURL),
  and asserts the document's probe id is unchanged: no full page load happened.
  `htmx_click` is the same around one click.

Call `htmx_swap` once the page to act on has committed (after `goto`, or an `expect` on the new
page): on the old document, `ready` is still true.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Union
from urllib.parse import quote, urlsplit

from playwright.sync_api import Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

PROBE = """
window.__htmxProbe = {id: Math.random(), ready: false, settled: []};
document.addEventListener('htmx:load', (event) => {
  if (event.target === document.body) window.__htmxProbe.ready = true;
});
document.addEventListener('htmx:afterSettle', (event) => {
  const xhr = event.detail && event.detail.xhr;
  if (xhr) window.__htmxProbe.settled.push(xhr.responseURL);
});
"""

UrlMatch = Union[str, re.Pattern]


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has processed the current document (its `htmx:load` on body)."""
    page.wait_for_function("() => window.__htmxProbe && window.__htmxProbe.ready")


def wait_until_quiet(page: Page) -> None:
    """Wait until htmx has processed the page and no request, swap or settle of its is under way.

    Playwright's "networkidle" (no request for 500 ms) never comes on a page that polls (the ticket
    widget asks every 2 s for a callback's mark), so it waits on htmx's own classes instead:
    `htmx-request` from the request's start until its response is handled, then `htmx-swapping`
    and `htmx-settling` until the new content has settled."""
    wait_for_htmx(page)
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def goto(page: Page, path: str) -> Optional[Response]:
    """Navigate, then wait until htmx has processed the page."""
    response = page.goto(path)
    wait_for_htmx(page)
    return response


def is_htmx(url: UrlMatch, method: str = "GET") -> Callable[[Response], bool]:
    """A response predicate: an HTMX request (`HX-Request: true`) with this method, to this URL.

    `url` is a path the request's path must equal, or a pattern searched in the whole URL.
    Redirects are skipped: htmx swaps what the XMLHttpRequest finally receives."""
    def matches(response: Response) -> bool:
        request = response.request
        if request.headers.get("hx-request") != "true" or request.method != method or 300 <= response.status < 400:
            return False
        return bool(url.search(response.url)) if isinstance(url, re.Pattern) else urlsplit(response.url).path == url
    return matches


def url_with(path: str, **params: Union[str, re.Pattern]) -> re.Pattern:
    """`path` asked with these query parameters, in any order among others: what a live filter or
    typeahead sends once the typing is done. A text value is matched encoded as htmx encodes it
    (encodeURIComponent: a space is %20); a pattern value is used as it is."""
    def encoded(value: Union[str, re.Pattern]) -> str:
        return value.pattern if isinstance(value, re.Pattern) else re.escape(quote(value, safe="-_.!~*'()"))
    return re.compile(re.escape(path) + r"\?" + "".join(rf"(?=(.*&)?{key}={encoded(value)}(&|$))"
                                                        for key, value in params.items()))


@dataclass
class Exchange:
    """Filled in when the `htmx_swap` block ends: the HTMX response that was swapped in."""
    response: Optional[Response] = None


@contextmanager
def htmx_swap(page: Page, url: UrlMatch, method: str = "GET") -> Iterator[Exchange]:
    """The block's action must send an HTMX request (method, url) whose successful response htmx
    swaps into this same document; on leaving, that swap has settled."""
    wait_for_htmx(page)
    probe_id, since = page.evaluate("() => [window.__htmxProbe.id, window.__htmxProbe.settled.length]")
    exchange = Exchange()
    try:
        with page.expect_response(is_htmx(url, method)) as answered:
            yield exchange
    except PlaywrightTimeout as timeout:
        raise AssertionError(f"no HTMX {method} request to {url!r} answered (the page may have loaded "
                             f"in full instead); now at {page.url}") from timeout
    response = exchange.response = answered.value
    assert response.ok, f"HTMX {method} {response.url} answered {response.status}"
    page.wait_for_function(
        """([id, since, url]) => window.__htmxProbe.id !== id || window.__htmxProbe.settled.slice(since).includes(url)""",
        arg=[probe_id, since, response.url])
    assert page.evaluate("() => window.__htmxProbe.id") == probe_id, "the page loaded in full instead of swapping"


def htmx_click(page: Page, target: Locator, url: UrlMatch, method: str = "GET") -> Response:
    """Click `target`; it must make an HTMX request (method, url), swapped in place and settled.
    Waiting for `target` first makes sure its document is the one whose readiness is awaited."""
    target.wait_for()
    with htmx_swap(page, url, method) as exchange:
        target.click()
    return exchange.response


def settled(page: Page, response: Response) -> None:
    """Wait until htmx has settled `response` in the current document (a load-triggered request)."""
    page.wait_for_function("url => window.__htmxProbe.settled.includes(url)", arg=response.url)
