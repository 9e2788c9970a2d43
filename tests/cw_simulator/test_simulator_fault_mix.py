"""The simulator's soak faults: 429 bursts and latency spikes at a rate, on top of the fixed ones."""
import pytest

from cw_simulator import faults as faults_module
from cw_simulator.cw_errors import ApiError
from cw_simulator.faults import Faults, FaultSettings


def _outcomes(faults: Faults, count: int) -> list[int]:
    """The status each of `count` requests got: 200 when it passed, else the simulated error."""
    statuses = []
    for _ in range(count):
        try:
            faults.apply("GET", "/v4_6_release/apis/3.0/service/tickets", {})
        except ApiError as error:
            statuses.append(error.status)
        else:
            statuses.append(200)
    return statuses


def test_rate_limit_bursts_come_as_runs_of_429_with_retry_after_between_passing_requests():
    """With a burst rate, 429s arrive in runs of at least burst_size, each carrying Retry-After."""
    faults = Faults(seed=3)
    faults.set(FaultSettings.from_json({"rate_limit": {"burst_rate": 0.05, "burst_size": 4, "retry_after": 2}}))
    statuses = _outcomes(faults, 600)
    runs, length = [], 0
    for status in statuses + [200]:
        if status == 429:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    assert len(runs) > 3 and all(run >= 4 for run in runs[:-1])  # the last run may be cut short
    assert 0.05 < statuses.count(429) / len(statuses) < 0.5
    faults.settings.rate_limit_count = 1
    with pytest.raises(ApiError) as refused:
        faults.apply("GET", "/v4_6_release/apis/3.0/service/tickets", {})
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "2"


def test_latency_spikes_hold_about_the_given_share_of_requests_for_the_given_time(monkeypatch):
    """spikes.rate of the requests wait spikes.ms (plus latency_ms); the others wait latency_ms only."""
    slept = []
    monkeypatch.setattr(faults_module.time, "sleep", slept.append)
    faults = Faults(seed=5)
    faults.set(FaultSettings.from_json({"latency_ms": 10, "spikes": {"rate": 0.25, "ms": 2000}}))
    assert set(_outcomes(faults, 400)) == {200}
    assert set(slept) == {0.01, 2.01}
    assert 60 < slept.count(2.01) < 140


def test_soak_mix_of_503s_bursts_and_spikes_is_accepted_and_described():
    """The soak's fault mix parses, and GET /_sim/faults describes it with its rates."""
    settings = FaultSettings.from_json({"error_rate": 0.1, "error_status": 503,
                                        "rate_limit": {"burst_rate": 0.01, "burst_size": 5, "retry_after": 1},
                                        "spikes": {"rate": 0.02, "ms": 2000}})
    faults = Faults()
    faults.set(settings)
    described = faults.describe()
    assert (described["error_rate"], described["rate_limit_burst_rate"], described["rate_limit_burst_size"],
            described["spike_rate"], described["spike_ms"]) == (0.1, 0.01, 5, 0.02, 2000)


@pytest.mark.parametrize("bad", [{"error_rate": 1.5}, {"spikes": {"rate": -0.1, "ms": 10}},
                                 {"rate_limit": {"burst_rate": 0.1, "burst_size": 0}}, {"spikes": {"ms": -5}}])
def test_impossible_rates_and_sizes_are_refused(bad):
    """A probability outside 0..1, a burst of no requests or a negative delay is refused (400 at the endpoint)."""
    with pytest.raises(ValueError):
        FaultSettings.from_json(bad)
