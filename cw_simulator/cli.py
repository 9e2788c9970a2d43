"""`cw-sim`: serve the simulator (the product registers this as `flask --app app cw-sim`)."""
from __future__ import annotations

import click
from werkzeug.serving import run_simple

from cw_simulator.app import create_simulator_app


@click.command("cw-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
@click.option("--scale", default=200, show_default=True, type=int, help="Number of configurations.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for the generated data.")
def cw_sim_command(host: str, port: int, scale: int, seed: int) -> None:
    """Run the ConnectWise simulator (company demo, keys demopublickey / demoprivatekey)."""
    app = create_simulator_app(seed=seed, scale=scale)
    click.echo(f"ConnectWise simulator: API base URL http://{host}:{port}/v4_6_release/apis/3.0")
    run_simple(host, port, app, threaded=True, use_reloader=False)
