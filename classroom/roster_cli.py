"""Placeholder: being written."""
import click


@click.group("roster")
def roster() -> None:
    """Build the known-faces roster (.npz)."""
