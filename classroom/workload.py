"""Placeholder: being written."""
import click


@click.command("workload")
def workload() -> None:
    """Not written yet."""
    raise click.ClickException("not written yet")
