import click


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo organisation, unless it exists already."""
    from cbcw.demo.seed import DEMO_PASSWORD, check_demo_connectwise, demo_organisation, seed_demo

    org = demo_organisation()
    if org is None:
        org = seed_demo()
        click.echo(f"Created demo organisation “{org.name}” (password for every demo login: {DEMO_PASSWORD}).")
    else:
        click.echo("Demo organisation already present.")
    click.echo(check_demo_connectwise(org))
