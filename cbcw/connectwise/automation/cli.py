"""`flask deliver`: send the outbox's due ConnectWise writes (the scheduler runs it every 30 s)."""
import click
from flask import current_app

from cbcw.connectwise.automation.delivery import deliver


@click.command("deliver")
@click.option("--org", "organisation_id", type=int, default=None, help="Only this organisation's writes.")
@click.option("--max-seconds", type=float, default=None,
              help="Stop after this long (default CW_DELIVERY_RUN_SECONDS); waits for writes due sooner.")
def deliver_command(organisation_id, max_seconds):
    """Deliver pending ConnectWise writes, oldest first per ticket."""
    budget = current_app.config["CW_DELIVERY_RUN_SECONDS"] if max_seconds is None else max(max_seconds, 0.0)
    report = deliver(organisation_id=organisation_id, budget=budget, wait=True)
    click.echo(f"ConnectWise delivery: {report}.")
