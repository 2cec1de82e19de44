"""Command-line options that several commands share, each declared once."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

Command = TypeVar("Command", bound=Callable[..., object])


def _apply(*options: Callable[[Command], Command]) -> Callable[[Command], Command]:
    def decorate(command: Command) -> Command:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


upload_repeat_and_timeout = _apply(
    click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 10000),
                 help="Upload every video this many times under distinct keys."),
    click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(min=0),
                 help="Seconds to wait for results after the last upload."),
)
"""`--repeat` and `--timeout` of the commands that upload and wait (workload, demo)."""

summary_outputs = _apply(
    click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the summary as JSON here."),
    click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write a latency plot (PNG) here."),
)
"""`--json` and `--plot` of the commands that print a workload summary (workload, demo)."""

local_stack_data = _apply(
    click.option("--stack", default="dev", show_default=True, help="Read names and settings from Pulumi.<stack>.yaml."),
    click.option("--roster-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Use this roster .npz instead of the stack's rosterFile."),
    click.option("--students-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Use this students JSON instead of the stack's studentsFile."),
    click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
                 help="Worker processes running the handler (videos processed at once)."),
)
"""The stack and data a local stack runs with (local-stack, demo)."""
