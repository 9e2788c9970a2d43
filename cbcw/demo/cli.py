import time

import click


@click.command("seed-demo")
@click.option("--scale", type=click.IntRange(0, 1_000_000), default=0, show_default=True,
              help="Also add N changes with their devices, spread over the demo companies (load tests).")
def seed_demo_command(scale: int):
    """Create the demo organisation, unless it exists already; --scale N adds N more changes."""
    from cbcw.connectwise.callbacks.registration import sync as register_callbacks
    from cbcw.connectwise.settings.mappings import get_settings
    from cbcw.demo.scale import seed_scale
    from cbcw.demo.seed import (
        DEMO_PASSWORD,
        check_demo_connectwise,
        demo_organisation,
        point_at_simulator,
        seed_demo,
    )
    from cbcw.extensions import db

    org = demo_organisation()
    if org is None:
        org = seed_demo()
        click.echo(f"Created demo organisation “{org.name}” (password for every demo login: {DEMO_PASSWORD}).")
    else:
        click.echo(f"Demo organisation already present; its ConnectWise now points at {point_at_simulator(org)}.")
    if scale:
        started = time.monotonic()
        seed_scale(org.id, scale)
        db.session.commit()
        click.echo(f"Added {scale} changes with their devices in {time.monotonic() - started:.1f} s.")
    click.echo(check_demo_connectwise(org))
    click.echo(register_callbacks(get_settings(org.id)) or "ConnectWise callbacks: registered already (or CW_CALLBACKS off).")
    click.echo("The demo changes' ConnectWise writes are queued: the scheduler's delivery worker sends them.")
