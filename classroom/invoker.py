"""The local invoker: SQS messages from the input bucket's notification → the handler.

It plays the part Lambda plays in AWS. A pool of worker processes (spawned, so each one is a
clean interpreter like a Lambda sandbox) gets the Lambda's environment variables; every SQS
message body — the S3 event exactly as S3 produced it — is passed to
`handler.app.handler(event, context)` with a context that carries a deadline. A worker that
runs past the deadline is killed and replaced, as Lambda discards a timed-out sandbox.
Failures are retried as the deployed function retries them, then sent to a dead-letter queue
and reported; they never stop the other videos.
"""
from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import unquote_plus

from infra.contract import ASYNC_RETRY_ATTEMPTS, log_group_name

log = logging.getLogger("classroom.local_stack")

RETRIES = ASYNC_RETRY_ATTEMPTS  # as many as the deployed function's async config allows
HANDLER = "handler.app.handler"


@dataclass
class LambdaContext:
    """The parts of the Lambda context object a handler uses, with a real deadline."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int
    deadline_epoch_s: float
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invoker kills this invocation."""
        return max(0, int((self.deadline_epoch_s - time.time()) * 1000))


@dataclass
class Job:
    """One SQS message being processed; `attempt` counts from 1."""

    message_id: str
    receipt_handle: str
    event: dict
    attempt: int = 1
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Invocation:
    """The final outcome of one message: the handler's summary, or why it failed for good."""

    message_id: str
    keys: list[str]
    attempts: int
    ok: bool
    result: Any = None
    error: str = ""
    duration_s: float = 0.0


# ---------------------------------------------------------------- worker process side

class _PrefixedLines:
    """A text stream that writes `prefix` before every line it passes on."""

    def __init__(self, stream: Any, prefix: str) -> None:
        self.stream, self.prefix, self.at_line_start = stream, prefix, True

    def write(self, text: str) -> int:
        out = []
        for piece in text.splitlines(keepends=True):
            if self.at_line_start:
                out.append(self.prefix)
            out.append(piece)
            self.at_line_start = piece.endswith("\n")
        self.stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _worker_main(
    conn: Connection, environment: Mapping[str, str], handler_path: str, label: str, handler_logs: bool = True
) -> None:
    """Entry point of a worker process: import the handler once, then serve jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(environment)
    # The handler's log lines (JSON on stdout, as Lambda ships them to CloudWatch) stay whole,
    # indented and labelled so they read apart from the local stack's own lines.
    sys.stdout = _PrefixedLines(sys.stdout, f"  [{label}] ") if handler_logs else open(os.devnull, "w")
    # Like the Lambda runtime: a root log handler, so `logging` calls show up too.
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(stream)
    handler: Callable[[dict, Any], Any] | None = None
    import_error = ""
    try:
        module_name, _, function_name = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception:  # reported with every job, so the operator sees it next to the video
        import_error = "cannot import handler: " + traceback.format_exc(limit=3)
    conn.send(("ready", import_error))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        event, context = message
        if handler is None:
            conn.send(("error", import_error))
            continue
        try:
            conn.send(("ok", handler(event, context)))
        except BaseException as exc:  # noqa: BLE001 - everything the handler raises is a failed invocation
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


# ---------------------------------------------------------------- parent side

class _Slot(threading.Thread):
    """One worker process and the thread that feeds it and enforces the deadline."""

    def __init__(self, index: int, pool: "Invoker") -> None:
        super().__init__(name=f"invoker-slot-{index}", daemon=True)
        self.index = index
        self.pool = pool
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    def _start_process(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, dict(self.pool.environment), self.pool.handler_path, f"worker {self.index}",
                  self.pool.handler_logs),
            name=f"classroom-worker-{self.index}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        # Wait for the import (the "init phase"); a slow import must not count against a job.
        try:
            if self.conn.poll(self.pool.init_timeout_s):
                self.conn.recv()
        except (EOFError, OSError):
            log.error("worker %d exited while starting (exit code %s)", self.index, self.process.exitcode)

    def _kill_process(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None

    def run(self) -> None:
        try:
            self._start_process()
            self.pool._slot_ready()
            while True:
                job = self.pool._jobs.get()
                if job is None:
                    break
                self.pool._finished(job, *self._invoke(job))
        finally:
            if self.conn is not None and self.process is not None and self.process.is_alive():
                try:
                    self.conn.send(None)
                    self.process.join(5)
                except (OSError, ValueError):
                    pass
            self._kill_process()

    def _invoke(self, job: Job) -> tuple[bool, Any, float]:
        """Run one job in the worker process; (ok, result-or-error, seconds)."""
        if self.process is None or not self.process.is_alive():
            self._kill_process()
            self._start_process()
        assert self.conn is not None
        pool = self.pool
        started = time.time()
        deadline = started + pool.timeout_s
        context = LambdaContext(
            function_name=pool.function_name,
            aws_request_id=job.request_id,
            memory_limit_in_mb=pool.memory_mb,
            deadline_epoch_s=deadline,
            invoked_function_arn=f"arn:aws:lambda:{pool.region}:123456789012:function:{pool.function_name}",
            log_group_name=log_group_name(pool.function_name),
        )
        try:
            self.conn.send((job.event, context))
            if not self.conn.poll(max(0.0, deadline - time.time())):
                self._kill_process()
                return False, f"Task timed out after {pool.timeout_s:.2f} seconds", time.time() - started
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.process.exitcode if self.process is not None else None
            self._kill_process()
            return False, f"worker process died (exit code {code}): {exc or 'connection closed'}", time.time() - started
        return status == "ok", payload, time.time() - started


class Invoker:
    """Polls the queue and runs the handler in `workers` processes until `stop()`."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        dead_letter_url: str | None,
        environment: Mapping[str, str],
        *,
        workers: int = 2,
        timeout_s: float = 900,
        memory_mb: int = 3008,
        function_name: str = "smart-classroom-local",
        region: str = "us-east-1",
        handler_path: str = HANDLER,
        retries: int = RETRIES,
        init_timeout_s: float = 120,
        stop_grace_s: float = 10,
        handler_logs: bool = True,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.dead_letter_url = dead_letter_url
        self.environment = {
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }
        self.workers = workers
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.function_name = function_name
        self.region = region
        self.handler_path = handler_path
        self.retries = retries
        self.init_timeout_s = init_timeout_s
        self.stop_grace_s = stop_grace_s
        self.handler_logs = handler_logs
        self.invocations: list[Invocation] = []  # final outcomes, in completion order
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._in_flight = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._ready = 0
        self._slots = [_Slot(i + 1, self) for i in range(workers)]
        self._poller = threading.Thread(target=self._poll, name="invoker-poller", daemon=True)

    # -- lifecycle
    def start(self, wait_ready: bool = True) -> "Invoker":
        """Spawn the workers (importing the handler in each) and start polling."""
        for slot in self._slots:
            slot.start()
        if wait_ready:
            with self._lock:
                self._lock.wait_for(lambda: self._ready == self.workers, timeout=self.init_timeout_s)
        self._poller.start()
        return self

    def stop(self) -> None:
        """Stop polling, let the workers finish their current video, and end them."""
        self._stop.set()
        if self._poller.is_alive():
            self._poller.join(5)
        for _ in self._slots:
            self._jobs.put(None)
        grace_end = time.time() + self.stop_grace_s
        for slot in self._slots:
            slot.join(max(0.1, grace_end - time.time()))
        for slot in self._slots:  # still busy after the grace period: end the video mid-way
            if slot.is_alive() and slot.process is not None:
                slot.process.kill()
            slot.join(5)
        if self._in_flight:
            log.warning("stopped with %d video(s) unfinished", self._in_flight)

    def __enter__(self) -> "Invoker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is in flight and the queue looks empty (for tests and the demo)."""
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                busy = self._in_flight
            if not busy and self._queue_depth() == 0:
                return True
            time.sleep(0.5)
        return False

    # -- internals
    def _slot_ready(self) -> None:
        with self._lock:
            self._ready += 1
            self._lock.notify_all()

    def _queue_depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def _poll(self) -> None:
        """Receive messages only when a worker is free, so none waits past its visibility timeout."""
        while not self._stop.is_set():
            with self._lock:
                free = self.workers - self._in_flight
            if free <= 0:
                self._stop.wait(0.2)
                continue
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, free),
                    WaitTimeSeconds=1,
                    AttributeNames=["ApproximateReceiveCount"],
                )
            except Exception as exc:  # the emulator going away on shutdown, mostly
                if not self._stop.is_set():
                    log.warning("receive failed: %s", exc)
                    self._stop.wait(1)
                continue
            for message in response.get("Messages", []):
                self._accept(message)

    def _accept(self, message: dict) -> None:
        try:
            event = json.loads(message["Body"])
        except ValueError:
            log.warning("dropping a message that is not JSON: %.200s", message["Body"])
            self._delete(message["ReceiptHandle"])
            return
        if event.get("Event") == "s3:TestEvent":  # S3 sends one when the notification is set
            self._delete(message["ReceiptHandle"])
            return
        job = Job(message_id=message["MessageId"], receipt_handle=message["ReceiptHandle"], event=event)
        log.info("invoke   %s", display_keys(event))
        with self._lock:
            self._in_flight += 1
        self._jobs.put(job)

    def _finished(self, job: Job, ok: bool, payload: Any, seconds: float) -> None:
        keys = event_keys(job.event)
        shown = display_keys(job.event)
        if ok:
            self._report_success(shown, payload, seconds)
            self._complete(job, Invocation(job.message_id, keys, job.attempt, True, payload, "", seconds))
            return
        error = str(payload)
        if self._stop.is_set():
            log.warning("stopped  %s before it finished", shown)
            with self._lock:
                self._in_flight -= 1
            return
        if job.attempt <= self.retries:
            log.warning("failed   %s (attempt %d of %d): %s; retrying", shown, job.attempt,
                        self.retries + 1, error)
            job.attempt += 1
            job.request_id = str(uuid.uuid4())
            self._jobs.put(job)
            return
        log.error("FAILED   %s after %d attempts: %s; sent to the dead-letter queue", shown,
                  job.attempt, error)
        if self.dead_letter_url:
            try:
                self.sqs.send_message(
                    QueueUrl=self.dead_letter_url,
                    MessageBody=json.dumps({"event": job.event, "error": error, "attempts": job.attempt}),
                )
            except Exception as exc:  # noqa: BLE001 - reporting must not stop the invoker
                log.warning("could not write to the dead-letter queue: %s", exc)
        self._complete(job, Invocation(job.message_id, keys, job.attempt, False, None, error, seconds))

    def _complete(self, job: Job, invocation: Invocation) -> None:
        self._delete(job.receipt_handle)
        with self._lock:
            self.invocations.append(invocation)
            self._in_flight -= 1
            self._lock.notify_all()

    def _delete(self, receipt_handle: str) -> None:
        try:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)
        except Exception as exc:  # noqa: BLE001
            if not self._stop.is_set():
                log.warning("could not delete a message: %s", exc)

    @staticmethod
    def _report_success(shown: str, summary: Any, seconds: float) -> None:
        """One readable line per video from the handler's summary (errors with their reason)."""
        records = summary.get("records") if isinstance(summary, dict) else None
        if not isinstance(records, list):
            log.info("done     %s in %.1f s", shown, seconds)
            return
        for record in records:
            if not isinstance(record, dict):
                continue
            key, output = record.get("key", "?"), record.get("output_key", "?")
            if record.get("status") == "ok":
                log.info("ok       %s -> %s (%.1f s)", key, output, seconds)
            else:
                log.error("ERROR    %s -> %s: %s", key, output, record.get("error", "no reason given"))


def event_keys(event: Mapping[str, Any]) -> list[str]:
    """The object keys an S3 event names, as S3 sent them (URL-encoded)."""
    records = event.get("Records")
    if not isinstance(records, list):
        return []
    return [str(r.get("s3", {}).get("object", {}).get("key", "?")) for r in records if isinstance(r, dict)]


def display_keys(event: Mapping[str, Any]) -> str:
    """The keys decoded for people (the handler still gets them encoded, as S3 sent them)."""
    return ", ".join(unquote_plus(key) for key in event_keys(event)) or "(no records)"
