"""The demo's course video: the lecture hall uploaded under `cse546/...` to a running local
stack, its attendance sheet printed as a table, its evidence page saved where a browser can
open it, and the teacher's message shown."""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

import click

from classroom.demo_data import COURSE, COURSE_ABSENTEE
from classroom.local_stack import LocalStack
from handler.events import error_key, output_key, page_key

COURSE_KEY = f"{COURSE}/2026-12-04/lecture_hall.mp4"
EXPECTED = {"grace_hopper": ("yes", "yes"), "eileen_collins": ("yes", "no"), COURSE_ABSENTEE: ("no", "yes")}
"""name → (attended, enrolled): Hopper on the list and there, Collins there as a visitor, Harington absent."""


@dataclass(frozen=True)
class CourseRun:
    """What the course video gave: its sheet rows, where its page was saved, and whether it is right."""

    rows: list[dict[str, str]]
    page: Path | None
    ok: bool


def run_course_video(stack: LocalStack, video: Path, pages_dir: Path, timeout_s: float = 180) -> CourseRun:
    """Upload the lecture hall as a course video, wait for its result, show it."""
    s3, config = stack.client("s3"), stack.config
    s3.upload_file(str(video), config.input_bucket, COURSE_KEY)
    keys = (output_key(COURSE_KEY), error_key(COURSE_KEY))
    found = _wait_for_any(s3, config.output_bucket, keys, timeout_s)
    if found != keys[0]:
        reason = "no result in time" if found is None else s3.get_object(Bucket=config.output_bucket, Key=found)["Body"].read().decode()
        click.echo(f"\ncourse video {COURSE_KEY}: {reason}", err=True)
        return CourseRun([], None, False)
    text = s3.get_object(Bucket=config.output_bucket, Key=found)["Body"].read().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    click.echo(f"\nattendance of {COURSE} from {COURSE_KEY}:")
    click.echo(_table(rows))
    page = pages_dir / (page_key(COURSE_KEY).replace("/", "--"))
    pages_dir.mkdir(parents=True, exist_ok=True)
    try:
        page.write_bytes(s3.get_object(Bucket=config.output_bucket, Key=page_key(COURSE_KEY))["Body"].read())
        click.echo(f"evidence page: {page.resolve()}")
    except s3.exceptions.NoSuchKey:
        page = None
        click.echo("evidence page: none (the stack's evidence setting is off)")
    for message in _messages_about(stack, COURSE_KEY, wait_s=5):
        click.echo(f"message to the teacher: {message}")
    got = {row["name"]: (row["attended"], row["enrolled"]) for row in rows}
    return CourseRun(rows, page, got == EXPECTED)


def _wait_for_any(s3, bucket: str, keys: tuple[str, ...], timeout_s: float) -> str | None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        listed = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=COURSE + "/").get("Contents", [])}
        for key in keys:
            if key in listed:
                return key
        time.sleep(0.5)
    return None


def _messages_about(stack: LocalStack, key: str, wait_s: float) -> list[str]:
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        subjects = [m.subject for m in stack.inbox.messages if m.body.get("video", {}).get("key") == key]
        if subjects:
            return subjects
        time.sleep(0.2)
    return []


def _table(rows: list[dict[str, str]]) -> str:
    columns = ("name", "attended", "enrolled", "first_seen_seconds", "last_seen_seconds", "seconds_present")
    titles = ("name", "attended", "enrolled", "first seen (s)", "last seen (s)", "present (s)")
    widths = [max(len(title), *(len(row.get(column, "")) for row in rows)) for column, title in zip(columns, titles)]
    lines = ["  ".join(title.ljust(width) for title, width in zip(titles, widths))]
    lines += ["  ".join(row.get(column, "").ljust(width) for column, width in zip(columns, widths)) for row in rows]
    return "\n".join("  " + line.rstrip() for line in lines)
