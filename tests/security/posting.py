"""Posting a discovered form with hostile values, and what every answer must satisfy."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from tests.security.crawl import FoundForm
from tests.security.hostile import DATE_PLACEHOLDERS, FORM_CONTENT_TYPE, Payload, answer_problems, encode_form
from tests.conftest import PASSWORD

# The day a filled-in window starts on: the same whenever the suite runs, and in the future until 2030.
WINDOW_DAY = date(2030, 5, 6)
# Rows a refused request may still write, and why.
WRITES_ON_REFUSAL = {"login_throttles": "a failed login is counted against the address and e-mail"}


def is_csrf(name: str) -> bool:
    return name == "csrf_token" or name.endswith("-csrf_token")


def value_fields(found: FoundForm) -> list[str]:
    """The form's field names besides its CSRF token."""
    return [name for name in found.form.field_names() if not is_csrf(name)]


def valid_baseline(found: FoundForm) -> list[tuple[str, str]]:
    """What the form sends as shown, with empty text boxes filled so it could pass: a title,
    a date in the app's format (a fixed one, years ahead), a time, the test password."""
    pairs, day = [], WINDOW_DAY
    for item in found.form.fields:
        if is_csrf(item.name):
            continue
        values = item.values or ([] if item.kind in ("checkbox", "radio") else [""])
        for value in values:
            if not value.strip() and item.kind not in ("hidden", "checkbox", "radio", "select", "search"):
                value = _filler(item, day)
                if item.placeholder == DATE_PLACEHOLDERS[0]:
                    day += timedelta(days=1)  # a window's end after its start
            pairs.append((item.name, value))
    return pairs


def _filler(item, day: date) -> str:
    if item.placeholder == DATE_PLACEHOLDERS[0]:
        return day.strftime("%d %b %Y")
    if item.placeholder == DATE_PLACEHOLDERS[1]:
        return "10:00"
    if item.kind == "password":
        return PASSWORD + " but longer"
    if item.kind == "email":
        return "new.person@hostile.test"
    return "Plain words"


def with_value(pairs: list[tuple[str, str]], name: str, value) -> list[tuple[str, object]]:
    """`pairs` with every value of `name` replaced (a field drawn as two inputs gets it twice)."""
    replaced = [(key, value if key == name else old) for key, old in pairs]
    return replaced if any(key == name for key, _ in pairs) else [*replaced, (name, value)]


def all_fields(found: FoundForm, payload: Payload) -> tuple[list[tuple[str, object]], bool]:
    """Every field of the form (each of its inputs) set to the payload, or for a `one_field`
    payload its first text field; and whether the post must be refused (the payload is and a
    field that takes text got it)."""
    if payload.one_field:
        name = next((item.name for item in found.form.fields if holds_text(item)), None)
        return ([(name, payload.value)] if name else []), payload.refused and name is not None
    pairs = [(item.name, payload.value) for item in found.form.fields if not is_csrf(item.name)
             for _ in (item.values or [None])]
    return pairs, payload.refused and any(holds_text(item) for item in found.form.fields)


def holds_text(item) -> bool:
    """A visible field that takes typed text or a choice (a form of buttons, hidden values and
    checkboxes only may act on any value)."""
    return not is_csrf(item.name) and item.kind not in ("hidden", "checkbox", "radio")


def send(world, found: FoundForm, pairs, htmx: bool = False):
    """POST the pairs to the form's route with a valid CSRF token, as the form's page would."""
    client = world.anonymous if found.anonymous else world.client
    token_names = [name for name in found.form.field_names() if is_csrf(name)] or ["csrf_token"]
    with_token = [*pairs, *((name, world.csrf_token(client)) for name in token_names)]
    return client.post(found.form.action, data=encode_form(with_token), content_type=FORM_CONTENT_TYPE,
                       headers={"HX-Request": "true"} if htmx else {})


def judge(response, client, what: str) -> list[str]:
    """`answer_problems`, and a redirect is followed once and its page judged too (flash
    messages echo what was posted)."""
    problems = answer_problems(response, what)
    if response.status_code in (301, 302, 303) and response.location:
        location = urlsplit(response.location)
        if location.netloc not in ("", "localhost"):
            problems.append(f"{what}: redirected off the site to {response.location[:80]!r}")
        else:
            followed = client.get(location.path + (f"?{location.query}" if location.query else ""))
            problems += answer_problems(followed, f"{what} → {location.path}")
    return problems


def post_and_judge(world, found: FoundForm, pairs, what: str, htmx: bool = False, refused: bool = False) -> list[str]:
    """Post in a savepoint rolled back afterwards; when `refused`, nothing may have been stored."""
    client = world.anonymous if found.anonymous else world.client
    with world.isolated():
        before = world.starting_rows() if refused else None
        try:
            response = send(world, found, pairs, htmx)
            problems = judge(response, client, what)
        except Exception as error:  # noqa: BLE001 - a raised error is the finding; keep looking
            return [f"{what}: raised {type(error).__name__}: {str(error)[:200]}"]
        if refused:
            after = world.rows()
            changed = sorted(table for table in after if after[table] != before[table]
                             and table not in WRITES_ON_REFUSAL)
            if changed:
                problems.append(f"{what}: answered {response.status_code} but stored rows in {changed}")
    return problems
