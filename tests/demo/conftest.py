"""Fixtures for the demo tests."""
import pytest


@pytest.fixture
def seed_cli(app, unused_port):
    """Run `flask seed-demo [args]` with the simulator URL on a closed loopback port by default
    (nothing leaves the machine and the ConnectWise checks fail fast)."""
    runner = app.test_cli_runner()

    def run(*args, port=unused_port):
        app.config["CW_SIMULATOR_URL"] = f"http://127.0.0.1:{port}/v4_6_release/apis/3.0"
        result = runner.invoke(args=["seed-demo", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run
