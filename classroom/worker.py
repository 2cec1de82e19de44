"""One worker process of the local invoker: a clean interpreter (spawned, like a Lambda
sandbox) that imports the handler once and runs it on the events it is sent.

`Worker` is the parent's handle on it: start it (and wait out its init phase), invoke the
handler with a deadline, and kill it when it runs past the deadline, as Lambda discards a
timed-out sandbox, or when it holds more memory than the function has, as Lambda kills a
sandbox over its memorySize.
"""
from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any

from classroom.lambda_context import LambdaContext
from classroom.process_memory import RESIDENT, memory_mb

log = logging.getLogger("classroom.local_stack")

MEMORY_CHECK_SECONDS = 0.1
"""How often a running invocation's memory is looked at. Lambda's limit is exact (a cgroup);
this one samples, so a spike shorter than this can pass unseen."""
OUT_OF_MEMORY = "Runtime exited with error: signal: killed"
"""How Lambda words a sandbox it killed for memory (its errorType is Runtime.OutOfMemory)."""


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


class Worker:
    """The parent's handle on one worker process; (re)started on demand."""

    def __init__(self, label: str, environment: Mapping[str, str], handler_path: str, handler_logs: bool,
                 init_timeout_s: float, memory_mb: int | None = None) -> None:
        self.label = label
        self.memory_mb = memory_mb
        self.environment = dict(environment)
        self.handler_path = handler_path
        self.handler_logs = handler_logs
        self.init_timeout_s = init_timeout_s
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self) -> None:
        """Spawn the process and wait for its import (the init phase: it never counts against a job)."""
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, self.environment, self.handler_path, self.label, self.handler_logs),
            name=f"classroom-{self.label.replace(' ', '-')}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        try:
            if self.conn.poll(self.init_timeout_s):
                self.conn.recv()
        except (EOFError, OSError):
            log.error("%s exited while starting (exit code %s)", self.label, self.process.exitcode)

    def invoke(self, event: dict, context: LambdaContext, timeout_s: float) -> tuple[bool, Any]:
        """Run the handler on one event until the context's deadline (`timeout_s` after its
        start) and within the function's memory: (True, its answer) or (False, why it failed)."""
        if not self.alive:
            self.kill()
            self.start()
        assert self.conn is not None and self.process is not None
        pid = self.process.pid
        try:
            self.conn.send((event, context))
            while not self.conn.poll(max(0.0, min(MEMORY_CHECK_SECONDS, context.deadline_epoch_s - time.time()))):
                if time.time() >= context.deadline_epoch_s:
                    self.kill()
                    return False, f"Task timed out after {timeout_s:.2f} seconds"
                used = memory_mb(RESIDENT, pid) if self.memory_mb else None
                if used is not None and used > self.memory_mb:
                    self.kill()
                    return False, f"{OUT_OF_MEMORY} ({used:,.0f} MB in use; the function has {self.memory_mb} MB)"
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.process.exitcode if self.process is not None else None
            self.kill()
            return False, f"worker process died (exit code {code}): {exc or 'connection closed'}"
        return status == "ok", payload

    def kill(self) -> None:
        """End the process now (a timed-out or dead sandbox)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None

    def close(self) -> None:
        """Ask the process to finish, then make sure it has."""
        if self.conn is not None and self.alive:
            try:
                self.conn.send(None)
                assert self.process is not None
                self.process.join(5)
            except (OSError, ValueError):
                pass
        self.kill()
