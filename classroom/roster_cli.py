"""`python -m classroom roster ...`: make the roster .npz the handler reads."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from handler.faces.enrol import EnrolmentError, build_roster, import_pickle
from handler.faces.roster import Roster, RosterError

OUTPUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("roster.npz"),
    show_default=True, help="Where to write the roster (.npz).",
)


def _write(make: Callable[[], Roster], output: Path) -> None:
    """Build the roster, then write it: nothing is written when a photo or file is refused."""
    try:
        roster = make()
    except EnrolmentError as error:
        raise click.ClickException(str(error)) from None
    roster.save(output)
    click.echo(f"wrote {output}: {len(roster.people)} people, {len(roster.names)} encodings")
    click.echo(f"people: {', '.join(roster.people)}")


@click.group("roster")
def roster() -> None:
    """Build the known-faces roster (.npz) that the Lambda reads from S3."""


@roster.command("build")
@click.argument("enroll_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@OUTPUT
def build(enroll_dir: Path, output: Path) -> None:
    """Enrol ENROLL_DIR/<person>/*.jpg: one face per photo, named after its folder."""
    _write(lambda: build_roster(enroll_dir), output)


@roster.command("import-pickle")
@click.argument("pickle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@OUTPUT
def import_pickle_command(pickle_file: Path, output: Path) -> None:
    """Convert the original project's encoding.pickle (read with a restricted unpickler)."""
    _write(lambda: import_pickle(pickle_file), output)


@roster.command("show")
@click.argument("roster_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(roster_file: Path) -> None:
    """List the people in a roster file and how many encodings each has."""
    try:
        loaded = Roster.load(roster_file)
    except RosterError as error:
        raise click.ClickException(f"{roster_file}: {error}") from None
    for person in loaded.people:
        click.echo(f"{person}\t{loaded.names.count(person)}")
