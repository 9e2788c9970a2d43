"""Fixtures for the demo tests (the seeded demo itself is `seeded_demo`, tests/fixtures/demo.py)."""
import pytest


@pytest.fixture
def seed_cli(app, cw_sim):
    """Run `flask seed-demo [args]` against the session's ConnectWise simulator (reset first), so the
    command's checks and its delivery of the demo's writes are answered at once, on loopback."""
    runner = app.test_cli_runner()
    app.config["CW_SIMULATOR_URL"] = cw_sim.base_url  # put back after the test

    def run(*args):
        result = runner.invoke(args=["seed-demo", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run
