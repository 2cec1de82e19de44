"""Placeholder: being written."""
import click


@click.command("local-stack")
def local_stack() -> None:
    """Not written yet."""
    raise click.ClickException("not written yet")
