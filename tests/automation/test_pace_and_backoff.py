"""The client-side pace per organisation, and the backoff between retries (PRODUCT §3.8)."""
import time

import pytest

from cbcw.connectwise.api import errors
from cbcw.connectwise.automation.delivery import UNREACHABLE_CAP_SECONDS, backoff
from cbcw.connectwise.automation.pace import Pacer, pacer_for
from cbcw.connectwise.api.http import time_budget


def test_pacer_spaces_requests_at_the_configured_rate():
    """Six requests at 20 per second take at least a quarter of a second."""
    pacer = Pacer(20)
    started = time.monotonic()
    for _ in range(6):
        pacer()
    assert time.monotonic() - started >= 0.25 - 0.01


def test_a_pause_holds_every_request_of_the_organisation():
    """After a 429's Retry-After, the organisation's next request waits it out."""
    pacer = pacer_for(987654, 1000)
    pacer.pause(0.3)
    started = time.monotonic()
    pacer()
    assert time.monotonic() - started >= 0.29


def test_a_slot_beyond_the_time_budget_is_refused_unsent():
    """Inside a 0.1 s budget, a request whose slot is 1 s away raises BudgetSpent instead of waiting."""
    pacer = Pacer(1)
    pacer()
    with time_budget(0.1), pytest.raises(errors.BudgetSpent):
        pacer()


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    """Delays double per attempt within [half, full] of the step, never beyond the cap."""
    for attempt, step in ((1, 5), (2, 10), (3, 20)):
        assert all(step / 2 <= backoff(attempt) <= step for _ in range(50))
    assert max(backoff(40) for _ in range(50)) <= 900
    assert max(backoff(40, UNREACHABLE_CAP_SECONDS) for _ in range(50)) <= UNREACHABLE_CAP_SECONDS
