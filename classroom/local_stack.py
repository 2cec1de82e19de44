"""`python -m classroom local-stack`: the whole pipeline on one machine, no AWS account.

An embedded moto server, provisioned from the same stack config as the Pulumi program
(`Pulumi.<stack>.yaml`), with S3 → SQS delivery and a local invoker running the real
handler in worker processes. `LocalStack.start(...)` is the same thing as a context manager
for the demo and the tests.
"""
from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from classroom.cli_options import local_stack_data
from classroom.emulator import Emulator, running_emulator
from classroom.inbox import Inbox
from classroom.invocations import tally
from classroom.invoker import HANDLER, Invoker
from classroom.provision import Provisioned, deprovision, provision
from infra.config import PROJECT_DIR, StackConfig, from_stack_file
from infra.contract import function_name, lambda_environment
from infra.errors import ConfigError

log = logging.getLogger("classroom.local_stack")


def load_stack_config(
    stack: str = "dev",
    roster_file: Path | None = None,
    students_file: Path | None = None,
    project_dir: Path = PROJECT_DIR,
) -> StackConfig:
    """The stack's config from `Pulumi.<stack>.yaml`, with the data files optionally swapped.

    Raises ConfigError (naming the key) when the stack file or an override is invalid.
    """
    overrides = {key: str(Path(path).resolve()) for key, path in
                 (("rosterFile", roster_file), ("studentsFile", students_file)) if path is not None}
    return from_stack_file(stack, project_dir, overrides)


def worker_environment(config: StackConfig, emulator: Emulator) -> dict[str, str]:
    """What each worker process gets: the Lambda's variables, pointed at the emulator only."""
    return {
        **lambda_environment(config),
        **emulator.client_environment(),
        # Never read the user's real AWS profile or credentials in the workers.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@dataclass
class LocalStack:
    """A running local stack: the emulator, what was provisioned in it, and the invoker."""

    config: StackConfig
    emulator: Emulator
    provisioned: Provisioned
    invoker: Invoker
    inbox: Inbox

    @classmethod
    @contextmanager
    def start(
        cls,
        config: StackConfig,
        *,
        port: int = 0,
        workers: int = 2,
        handler_path: str = HANDLER,
        handler_logs: bool = True,
    ) -> Iterator["LocalStack"]:
        """Start the emulator, provision it, start the workers; undo all of it on exit."""
        with running_emulator(port=port, region=config.region) as emulator:
            clients = {name: emulator.client(name) for name in ("s3", "sqs", "dynamodb", "sns")}
            with _provisioned(config, clients) as provisioned:
                invoker = Invoker(
                    clients["sqs"],
                    provisioned.queue_url,
                    provisioned.failed_uploads_url,
                    worker_environment(config, emulator),
                    workers=workers,
                    timeout_s=config.timeout,
                    memory_mb=config.memory_size,
                    function_name=function_name(config),  # as the deployed function is named
                    region=config.region,
                    handler_path=handler_path,
                    handler_logs=handler_logs,
                    segment_queue_url=provisioned.segment_queue_url,
                    segment_queue_arn=provisioned.segment_queue_arn,
                    failed_uploads_arn=provisioned.failed_uploads_arn,
                )
                inbox = Inbox(clients["sqs"], provisioned.messages_url)
                inbox.start()
                try:
                    with invoker:
                        yield cls(config=config, emulator=emulator, provisioned=provisioned, invoker=invoker,
                                  inbox=inbox)
                finally:
                    inbox.stop()

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    def client(self, service: str) -> Any:
        """A boto3 client for this stack's emulator (fake credentials, never the user's)."""
        return self.emulator.client(service)

    def instructions(self) -> str:
        """What the user sees at start: the resources and commands ready to paste."""
        config, url = self.config, self.endpoint_url
        aws = ["aws", "--endpoint-url", url]
        commands = [
            shlex.join([*aws, "s3", "cp", "video.mp4", f"s3://{config.input_bucket}/"]),
            shlex.join([*aws, "s3", "ls", f"s3://{config.output_bucket}/"]),
            shlex.join([*aws, "s3", "cp", f"s3://{config.output_bucket}/video.csv", "-"]),
            shlex.join([sys.executable.rsplit("/", 1)[-1], "-m", "classroom", "workload", "--stack", config.stack,
                        "--endpoint-url", url, "--videos", "build/demo/videos",
                        "--expected", "build/demo/expected.csv"]),
        ]
        credentials = " ".join(f"{k}={v}" for k, v in self.emulator.client_environment().items()
                               if k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"))
        return "\n".join([
            f"Local stack '{config.stack}' is running: AWS emulator at {url} (region {config.region})",
            f"  input bucket    s3://{config.input_bucket}/  (videos ending {', '.join(config.video_suffixes)})",
            f"  output bucket   s3://{config.output_bucket}/",
            f"  roster          {config.roster_uri}  (from {config.roster_file})",
            f"  students table  {config.students_table}  ({self.provisioned.students} students from {config.students_file})",
            f"  delivery        S3 notification -> SQS {self.provisioned.queue_url.rsplit('/', 1)[-1]}"
            f" -> {self.invoker.workers} worker process(es), timeout {config.timeout} s",
            f"  messages        SNS {self.provisioned.topic_arn.rsplit(':', 1)[-1]} (one per result; shown here)",
            f"  long videos     over {config.recognition.segment_seconds:g} s: split into segments -> SQS "
            f"{self.provisioned.segment_queue_url.rsplit('/', 1)[-1]} -> the same workers -> one merged CSV",
            f"  failed uploads  every try stopped (memory, time, crash): Lambda's record -> SQS "
            f"{self.provisioned.failed_uploads_url.rsplit('/', 1)[-1]} -> the same workers -> the error report",
            "",
            "In another terminal (the emulator accepts any credentials; these are fake):",
            f"  export {credentials}",
            *(f"  {command}" for command in commands),
            "",
            "Press Ctrl-C to stop.",
        ])


@contextmanager
def _provisioned(config: StackConfig, clients: dict[str, Any]) -> Iterator[Provisioned]:
    provisioned = provision(config, clients["s3"], clients["sqs"], clients["dynamodb"], clients["sns"])
    try:
        yield provisioned
    finally:
        deprovision(config, clients["s3"], clients["sqs"], clients["dynamodb"], clients["sns"])


def configure_logging(verbose: bool = False) -> None:
    """Readable local-stack lines: time and message, nothing else."""
    handler = logging.StreamHandler(sys.stderr)  # through tqdm while a progress bar is up (workload_run)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    logger = logging.getLogger("classroom")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("local-stack")
@local_stack_data
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port for the emulator on 127.0.0.1 (0 = any free port).")
@click.option("--handler-logs/--no-handler-logs", default=True, show_default=True,
              help="Show the handler's JSON log lines (one per video) under the local stack's own.")
def local_stack(stack: str, port: int, workers: int, roster_file: Path | None, students_file: Path | None,
                handler_logs: bool) -> None:
    """Run the whole pipeline locally on an embedded AWS emulator until Ctrl-C.

    Provisions the buckets, the students table and the roster exactly as the Pulumi stack
    names them, delivers uploads S3 -> SQS -> the handler in worker processes, and prints
    the endpoint with ready-to-paste AWS CLI commands. Build the default data first with
    `python -m classroom demo-data`.
    """
    try:
        config = load_stack_config(stack, roster_file, students_file)
    except ConfigError as error:
        raise click.ClickException(f"stack config: {error}") from None
    configure_logging()
    # Ctrl-C and `kill` both stop it cleanly (SIGINT explicitly: a background job inherits it ignored).
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    running: LocalStack | None = None
    try:
        with LocalStack.start(config, port=port, workers=workers, handler_logs=handler_logs) as running:
            click.echo(running.instructions())
            sys.stdout.flush()
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if running is not None:
            log.info("local stack stopped: %s", tally(running.invoker.invocations))
