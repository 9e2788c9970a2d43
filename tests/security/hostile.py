"""What the security suite sends and how it judges what comes back.

- `PAYLOADS`: hostile values for any field or parameter (markup, scripts, oversized, malformed
  dates, numbers beyond 64 bits, odd unicode, bytes that are not UTF-8).
- `FormParser` / `forms_in`: the forms of a rendered page (fields, their kind and rendered value),
  so the suite finds every route's fields from the pages themselves.
- `markup_problems`: executable markup in a response (a script or event handler the app did not
  write, a `javascript:` link, an evaluated template expression), i.e. a payload echoed unescaped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

TEMPLATE_RESULT = str(7 * 7777)  # what `{{7*7777}}` would render if a template evaluated it


@dataclass(frozen=True)
class Payload:
    """A hostile value; `refused` when no field may store it (longer than any field holds);
    `one_field` when it is sent in one field only (the request would pass 2 MB otherwise)."""

    name: str
    value: str | bytes
    refused: bool = False
    one_field: bool = False


LONG_TEXT_MAX = 20_000
# Markup of every kind at once: each piece is judged on its own in the answer.
MARKUP = ("<script>alert(1)</script>\"><img src=x onerror=alert(1)>' autofocus onfocus='alert(1)"
          " {{7*7777}}${7*7777}{% if 1 %}x{% endif %} \u202egnp.exe\u200b\ufeff \U0001F4A5 e\u0301 \U000E0041")
# Sent to every field of every form at once.
PAYLOADS = [
    Payload("markup", MARKUP),
    Payload("javascript-url", " JaVaScRiPt\t:alert(1)"),
    Payload("nul", "a\x00b", refused=True),  # PostgreSQL text cannot hold it: refused before any view
    Payload("not-utf8", b"\xff\xfe\xed\xa0\x80"),  # invalid bytes and a lone surrogate's UTF-8 form
    Payload("superscript-digits", "\u00b2\u00b3"),  # str.isdigit() says yes, int() says no
    Payload("oversized-markup", MARKUP * (LONG_TEXT_MAX // len(MARKUP) + 1), refused=True),  # refused, shown escaped
    Payload("oversized-1.9MB", "y" * 1_900_000, refused=True, one_field=True),
    Payload("month-13", "2026-13-45"),
    Payload("minus-one", "-1"),
    Payload("beyond-64-bits", "18446744073709551616"),
    Payload("huge-float", "1e400"),
]
# Sent to date and time inputs one at a time (the other fields valid), where they reach the parsing.
DATE_PAYLOADS = [
    Payload("month-13", "2026-13-45"),
    Payload("last-minute", "9999-12-31 23:59"),
    Payload("first-minute", "0001-01-01 00:00"),
    Payload("year-10000", "10000-01-01"),
    Payload("minus-one", "-1"),
]
PAYLOAD_BY_NAME = {payload.name: payload for payload in PAYLOADS}
DATE_PLACEHOLDERS = ("10 Dec 2026", "22:00")  # how the app's date and time inputs show their format


def encode_form(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """A urlencoded body; byte values are sent as they are (not necessarily UTF-8)."""
    return urlencode(pairs).encode("ascii")


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# --- forms of a page -------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # input type ("text", "hidden", "checkbox", …), "select" or "textarea"
    values: list[str] = field(default_factory=list)  # what the browser would send as rendered
    options: list[str] = field(default_factory=list)  # a select's option values
    placeholder: str = ""


@dataclass
class Form:
    method: str
    action: str  # as written in the page (empty: the page's own URL)
    htmx: bool = False
    fields: list[FormField] = field(default_factory=list)
    other_actions: list[str] = field(default_factory=list)  # buttons' formaction (reject beside approve)

    def field_names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields))


class FormParser(HTMLParser):
    """Collects the page's <form> elements with their inputs, selects and textareas."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            self._select.options.append(value)
            if "selected" in attributes:
                self._select.values = [value]
        elif tag == "form":
            hx_post = attributes.get("hx-post") or attributes.get("data-hx-post")
            action = hx_post or attributes.get("action") or self.page_url
            method = "post" if hx_post else (attributes.get("method") or "get").lower()
            self._form = Form(method, action, htmx=bool(hx_post))
            self.forms.append(self._form)
        elif self._form is not None and tag in ("button", "input") and attributes.get("formaction"):
            self._form.other_actions.append(attributes["formaction"])
        elif self._form is None or not attributes.get("name"):
            return
        elif tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            checked = kind not in ("checkbox", "radio") or "checked" in attributes
            value = attributes.get("value") or ("y" if kind == "checkbox" else "")
            self._form.fields.append(FormField(attributes["name"], kind, [value] if checked else [],
                                               placeholder=attributes.get("placeholder") or ""))
        elif tag == "select":
            self._select = FormField(attributes["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = FormField(attributes["name"], "textarea", [""])
            self._form.fields.append(self._textarea)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.values and self._select.options:
                self._select.values = [self._select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None



def forms_in(html: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms


# --- links of a page -------------------------------------------------------------------------

LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "hx-get", "hx-post", "data-hx-get", "data-hx-post",
                   "data-href", "data-url", "poster", "background")


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, bool]] = []  # (URL, fetched by htmx)

    def handle_starttag(self, tag, attrs):
        self.links += [(value, name != "href") for name, value in attrs
                       if name in ("href", "hx-get", "data-hx-get") and value]


def links_in(html: str) -> list[tuple[str, bool]]:
    parser = _LinkParser()
    parser.feed(html)
    return parser.links


# --- judging a response ----------------------------------------------------------------------

_SCRIPT_SCHEMES = re.compile(r"^(javascript|vbscript|data:text/html)", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\u200b-\u200f\u202a-\u202e\ufeff]+")
_RAW_MARKERS = ("<script>alert(", "<img src=x", "onerror=alert(1)>", "onfocus='alert(1)'")
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}


class _MarkupJudge(HTMLParser):
    """Finds executable markup: any of these in a page means a payload escaped its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            elif name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…> htmx handler")
            elif value and name in LINK_ATTRIBUTES and _SCRIPT_SCHEMES.match(_INVISIBLE.sub("", value)):
                self.problems.append(f"<{tag} {name}={value[:60]!r}> script URL")
            elif name in ("hx-vals", "hx-headers") and value and value.lstrip().lower().startswith(("js:", "javascript:")):
                self.problems.append(f"<{tag} {name}> evaluated by htmx")
        if tag == "script" and not dict(attrs).get("src"):
            self.problems.append("inline <script>")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x> from a payload")

    handle_startendtag = handle_starttag


def markup_problems(body: str) -> list[str]:
    """Why this HTML is unsafe (empty when every hostile text in it is escaped)."""
    judge = _MarkupJudge()
    judge.feed(body)
    judge.close()
    problems = judge.problems
    lowered = body.lower()
    problems += [f"raw {marker!r}" for marker in _RAW_MARKERS if marker.lower() in lowered]
    if TEMPLATE_RESULT in body:
        problems.append("a template expression was evaluated ({{7*7777}} became 54439)")
    return problems


def answer_problems(response, what: str) -> list[str]:
    """Problems with an answer: a 500, a refusal that is not the product's page (its error page,
    or a form shown again with its errors), markup in an HTML body."""
    problems = []
    body = response.get_data(as_text=True)
    if response.status_code >= 500:
        problems.append(f"{what}: {response.status_code}")
    elif response.status_code >= 400 and not (is_product_error_page(response) or 'class="brand"' in body):
        problems.append(f"{what}: {response.status_code} is not the product's page")
    if "html" in (response.content_type or ""):
        problems += [f"{what}: {problem}" for problem in markup_problems(body)]
    return problems


def is_product_error_page(response) -> bool:
    """The product's styled error page, or for HTMX its one-line message (PRODUCT §4)."""
    body = response.get_data(as_text=True)
    return ('class="brand"' in body and "error-page" in body) or 'class="error-message"' in body
