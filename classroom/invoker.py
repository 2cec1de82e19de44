"""The local invoker: SQS messages from the input bucket's notification → the handler.

It plays the part Lambda plays in AWS. A pool of worker processes (spawned, so each one is a
clean interpreter like a Lambda sandbox) gets the Lambda's environment variables; every SQS
message body — the S3 event exactly as S3 produced it — is passed to
`handler.app.handler(event, context)` with a context that carries a deadline. A worker that
runs past the deadline is killed and replaced, as Lambda discards a timed-out sandbox.
Failures are retried as the deployed function retries them; after the last try Lambda's record
of the failed invocation goes to the failed-uploads queue (its on-failure destination), which
the function consumes to write the upload's error report. Failures never stop the other videos.
The segment queue of split videos and the failed-uploads queue are polled as Lambda's event
source mappings poll them (classroom.event_source): messages deleted when the handler finished
them, left to come back after their visibility timeout when not.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from classroom.event_source import RECEIVE_ATTRIBUTES, failed_invocation_record, messages_done, sqs_event
from classroom.invocations import FAILED_UPLOAD, SEGMENT, Invocation, Job, display_keys, event_keys, video_outcomes
from classroom.lambda_context import LambdaContext
from classroom.worker import Worker
from infra.contract import ASYNC_RETRY_ATTEMPTS, FAILED_UPLOADS_BATCH_SIZE, SEGMENT_BATCH_SIZE

log = logging.getLogger("classroom.local_stack")

RETRIES = ASYNC_RETRY_ATTEMPTS  # as many as the deployed function's async config allows
HANDLER = "handler.app.handler"


class _Slot(threading.Thread):
    """Feeds one worker process the jobs of the invoker's queue, one at a time."""

    def __init__(self, worker: Worker, take: Callable[[], Job | None], run: Callable[[Worker, Job], None],
                 ready: Callable[[], None]) -> None:
        super().__init__(name=f"invoker-{worker.label.replace(' ', '-')}", daemon=True)
        self.worker, self.take, self.run_job, self.ready = worker, take, run, ready

    def run(self) -> None:
        try:
            self.worker.start()
            self.ready()
            while (job := self.take()) is not None:
                self.run_job(self.worker, job)
        finally:
            self.worker.close()


class Invoker:
    """Polls the queue and runs the handler in `workers` processes until `stop()`."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        failed_uploads_url: str | None,
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
        segment_queue_url: str | None = None,
        segment_queue_arn: str = "",
        failed_uploads_arn: str = "",
        account_id: str = "123456789012",
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.failed_uploads_url = failed_uploads_url
        self.failed_uploads_arn = failed_uploads_arn
        self.segment_queue_url = segment_queue_url
        self.segment_queue_arn = segment_queue_arn
        self.account_id = account_id
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
        self._slots = [
            _Slot(Worker(f"worker {i + 1}", self.environment, handler_path, handler_logs, init_timeout_s, memory_mb),
                  self._jobs.get, self._run, self._slot_ready)
            for i in range(workers)
        ]
        self._poller = threading.Thread(target=self._poll, name="invoker-poller", daemon=True)
        self._segment_poller = threading.Thread(target=self._poll_segments, name="invoker-segments", daemon=True)
        self._failed_uploads_poller = threading.Thread(target=self._poll_failed_uploads,
                                                       name="invoker-failed-uploads", daemon=True)

    # -- lifecycle
    def start(self, wait_ready: bool = True) -> "Invoker":
        """Spawn the workers (importing the handler in each) and start polling."""
        for slot in self._slots:
            slot.start()
        if wait_ready:
            with self._lock:
                self._lock.wait_for(lambda: self._ready == self.workers, timeout=self.init_timeout_s)
        self._poller.start()
        if self.segment_queue_url:
            self._segment_poller.start()
        if self.failed_uploads_url:
            self._failed_uploads_poller.start()
        return self

    def stop(self) -> None:
        """Stop polling, let the workers finish their current video, and end them."""
        self._stop.set()
        for poller in (self._poller, self._segment_poller, self._failed_uploads_poller):
            if poller.is_alive():
                poller.join(5)
        for _ in self._slots:
            self._jobs.put(None)
        grace_end = time.time() + self.stop_grace_s
        for slot in self._slots:
            slot.join(max(0.1, grace_end - time.time()))
        for slot in self._slots:  # still busy after the grace period: end the video mid-way
            if slot.is_alive():
                slot.worker.kill()
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
            if not busy and all(self._queue_depth(url) == 0 for url in (
                    self.queue_url, self.segment_queue_url, self.failed_uploads_url) if url):
                return True
            time.sleep(0.5)
        return False

    # -- internals
    def _run(self, worker: Worker, job: Job) -> None:
        """One attempt at one job, in `worker`, with the function's deadline."""
        context = LambdaContext.starting_now(self.function_name, self.timeout_s, self.memory_mb, self.region,
                                             request_id=job.request_id)
        started = time.time()
        ok, payload = worker.invoke(job.event, context, self.timeout_s)
        self._finished(job, ok, payload, time.time() - started)

    def _slot_ready(self) -> None:
        with self._lock:
            self._ready += 1
            self._lock.notify_all()

    def _queue_depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def _poll(self) -> None:
        """Upload events: as S3 → Lambda delivers them (the invoker retries failures itself)."""
        self._poll_queue(self.queue_url, 10, ["ApproximateReceiveCount"], self._accept_uploads)

    def _poll_segments(self) -> None:
        """The segment queue's event source mapping: one segment message per invocation."""
        assert self.segment_queue_url is not None
        url, arn = self.segment_queue_url, self.segment_queue_arn
        self._poll_queue(url, SEGMENT_BATCH_SIZE, RECEIVE_ATTRIBUTES, lambda batch: self._accept_batch(batch, url, arn))

    def _poll_failed_uploads(self) -> None:
        """The failed-uploads queue's event source mapping: up to ten records per invocation."""
        assert self.failed_uploads_url is not None
        url, arn = self.failed_uploads_url, self.failed_uploads_arn
        self._poll_queue(url, FAILED_UPLOADS_BATCH_SIZE, RECEIVE_ATTRIBUTES,
                         lambda batch: self._accept_batch(batch, url, arn))

    def _poll_queue(self, url: str, batch: int, attributes: list[str], accept: Callable[[list[dict]], None]) -> None:
        """Receive messages only when a worker is free, so none waits past its visibility timeout.
        `accept` gets each receive's messages (the upload queue: one invocation each; the
        consumed queues: one invocation for the batch)."""
        while not self._stop.is_set():
            with self._lock:
                free = self.workers - self._in_flight
            if free <= 0:
                self._stop.wait(0.2)
                continue
            try:
                messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(batch, free),
                                                    WaitTimeSeconds=1, AttributeNames=attributes).get("Messages", [])
            except Exception as exc:  # the emulator going away on shutdown, mostly
                if not self._stop.is_set():
                    log.warning("receive failed: %s", exc)
                    self._stop.wait(1)
                continue
            if messages:
                accept(messages)

    def _accept_uploads(self, messages: list[dict]) -> None:
        for message in messages:
            self._accept(message)

    def _accept_batch(self, messages: list[dict], url: str, arn: str) -> None:
        event = sqs_event(messages, arn, self.region)
        job = Job(message_id=messages[0]["MessageId"], receipt_handle=messages[0]["ReceiptHandle"], event=event,
                  batch=messages, batch_queue_url=url)
        log.info("invoke   %s", display_keys(event))
        with self._lock:
            self._in_flight += 1
        self._jobs.put(job)

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
        if job.batch is not None:
            self._batch_finished(job, ok, payload, seconds, keys, shown)
            return
        if ok:
            self._report_success(shown, payload, seconds)
            self._complete(job, Invocation(message_id=job.message_id, keys=keys, attempts=job.attempt, ok=True,
                                           result=payload, duration_s=seconds))
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
        log.error("FAILED   %s after %d attempts: %s; recorded in the failed-uploads queue", shown,
                  job.attempt, error)
        if self.failed_uploads_url:
            record = failed_invocation_record(
                job.event, error, job.attempt, job.request_id,
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}",
                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))
            try:
                self.sqs.send_message(QueueUrl=self.failed_uploads_url, MessageBody=json.dumps(record))
            except Exception as exc:  # noqa: BLE001 - reporting must not stop the invoker
                log.warning("could not write to the failed-uploads queue: %s", exc)
        self._complete(job, Invocation(message_id=job.message_id, keys=keys, attempts=job.attempt, ok=False,
                                       error=error, duration_s=seconds))

    def _batch_finished(self, job: Job, ok: bool, payload: Any, seconds: float, keys: list[str], shown: str) -> None:
        """Delete the messages the handler finished; leave the others for SQS to redeliver."""
        assert job.batch is not None
        done = messages_done(job.batch, ok, payload)
        if done:
            self._report_success(shown, payload, seconds)
        for message in done:
            self._delete(message["ReceiptHandle"], job.batch_queue_url)
        if len(done) < len(job.batch):
            log.warning("failed   %s (receive %s): %s; back in the queue after its visibility timeout", shown,
                        job.batch[0].get("Attributes", {}).get("ApproximateReceiveCount", "?"),
                        payload if not ok else "reported as a batch item failure")
        with self._lock:
            self.invocations.append(Invocation(message_id=job.message_id, keys=keys, attempts=1, ok=ok,
                                               result=payload if ok else None, error="" if ok else str(payload),
                                               duration_s=seconds,
                                               source=SEGMENT if job.batch_queue_url == self.segment_queue_url
                                               else FAILED_UPLOAD))
            self._in_flight -= 1
            self._lock.notify_all()

    def _complete(self, job: Job, invocation: Invocation) -> None:
        self._delete(job.receipt_handle)
        with self._lock:
            self.invocations.append(invocation)
            self._in_flight -= 1
            self._lock.notify_all()

    def _delete(self, receipt_handle: str, queue_url: str | None = None) -> None:
        try:
            self.sqs.delete_message(QueueUrl=queue_url or self.queue_url, ReceiptHandle=receipt_handle)
        except Exception as exc:  # noqa: BLE001
            if not self._stop.is_set():
                log.warning("could not delete a message: %s", exc)

    @staticmethod
    def _report_success(shown: str, summary: Any, seconds: float) -> None:
        """One readable line per video from the handler's summary (errors with their reason)."""
        outcomes = video_outcomes(summary)
        if outcomes is None:
            log.info("done     %s in %.1f s", shown, seconds)
            return
        for video in outcomes:
            if video.ok:
                log.info("ok       %s -> %s (%.1f s)", video.key, video.output_key, seconds)
            elif video.status == "error":
                log.error("ERROR    %s -> %s: %s", video.key, video.output_key, video.error)
            elif video.status in ("split", "segment"):
                log.info("%-8s %s (%.1f s)", video.status, shown, seconds)
            else:
                log.info("%-8s %s", video.status, video.key)

