import click


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo organisation, unless it exists already."""
    from cbcw.demo.seed import DEMO_PASSWORD, demo_exists, seed_demo

    if demo_exists():
        click.echo("Demo organisation already present; nothing to do.")
        return
    org = seed_demo()
    click.echo(f"Created demo organisation “{org.name}” (password for every demo login: {DEMO_PASSWORD}).")
