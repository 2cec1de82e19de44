"""`python -m classroom --help`: the one command-line front door for people."""
from __future__ import annotations

import click

from classroom.demo import demo
from classroom.demo_data import demo_data
from classroom.local_stack import local_stack
from classroom.roster_cli import roster
from classroom.workload import workload


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Smart Classroom: turn classroom videos into attendance."""


cli.add_command(roster)
cli.add_command(local_stack)
cli.add_command(workload)
cli.add_command(demo_data)
cli.add_command(demo)

if __name__ == "__main__":
    cli()
