"""Placeholder: being written."""
import click


@click.command("demo-data")
def demo_data() -> None:
    """Not written yet."""
    raise click.ClickException("not written yet")
