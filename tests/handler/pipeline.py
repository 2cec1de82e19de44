"""A deployed-like pipeline in the emulator for the handler's tests: buckets, table, roster,
and S3 → SQS delivery, provisioned as the local stack does (classroom.provision).

The handler is called with the event S3 itself produced (read from the queue the input
bucket notifies), so keys arrive URL-encoded exactly as AWS sends them; a split video's
segment messages are then handed to it as Lambda's event source mapping would
(classroom.event_source), until both queues are empty.
"""
from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classroom.emulator import Emulator
from classroom.event_source import RECEIVE_ATTRIBUTES, messages_done, sqs_event
from classroom.inbox import Message, read_messages
from classroom.lambda_context import LambdaContext
from classroom.provision import provision
from handler import app
from handler.faces.roster import Roster
from infra.config import StackConfig, parse_config
from infra.contract import lambda_environment


def lambda_context() -> LambdaContext:
    """The context Lambda would pass: 900 s ahead, a fixed request id the reports can be checked for."""
    return LambdaContext.starting_now("smart-classroom-test", timeout_s=900, request_id="test-request")


@dataclass
class Pipeline:
    """One isolated stack in the emulator; `upload` then `deliver` runs the handler."""

    config: StackConfig
    s3: Any
    sqs: Any
    dynamodb: Any
    queue_url: str
    segment_queue_url: str
    segment_queue_arn: str
    segment_dead_letter_url: str
    failed_uploads_url: str
    failed_uploads_arn: str
    messages_url: str
    environment: dict[str, str]

    @property
    def input_bucket(self) -> str:
        return self.config.input_bucket

    @property
    def output_bucket(self) -> str:
        return self.config.output_bucket

    @property
    def table(self) -> str:
        return self.config.students_table

    def upload(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.input_bucket, Key=key, Body=body)

    def events(self) -> list[dict[str, Any]]:
        """The S3 notifications waiting in the queue (test events skipped), removed from it."""
        found: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = response.get("Messages", [])
            if not messages:
                return found
            for message in messages:
                body = json.loads(message["Body"])
                if "Records" in body:
                    found.append(body)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def deliver(self) -> list[dict[str, Any]]:
        """Run the handler once per queued upload event, as Lambda would, then on every segment
        message until the segment queue is empty; returns the upload events' summaries."""
        summaries = [app.handler(event, lambda_context()) for event in self.events()]
        self.deliver_segments()
        return summaries

    def deliver_segments(self, handler: Callable[[dict, Any], Any] | None = None, max_invocations: int = 500) -> list[Any]:
        """Hand the segment queue's messages to the handler one at a time (batch size 1), delete
        the ones it finished, and make a failed one visible again at once (on AWS it waits for
        the visibility timeout), at most `max_invocations` times. Returns each invocation's answer,
        or the exception it raised."""
        answers: list[Any] = []
        handler = handler or app.handler
        for _ in range(max_invocations):
            messages = self.sqs.receive_message(QueueUrl=self.segment_queue_url, MaxNumberOfMessages=1,
                                                WaitTimeSeconds=0, AttributeNames=RECEIVE_ATTRIBUTES).get("Messages", [])
            if not messages:
                return answers
            try:
                answer, ok = handler(sqs_event(messages, self.segment_queue_arn, self.config.region), lambda_context()), True
            except Exception as error:  # noqa: BLE001 - a failed invocation, as Lambda sees it
                answer, ok = error, False
            answers.append(answer)
            done = messages_done(messages, ok, answer)
            for message in messages:
                if message in done:
                    self.sqs.delete_message(QueueUrl=self.segment_queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    self.sqs.change_message_visibility(QueueUrl=self.segment_queue_url,
                                                       ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        return answers

    def deliver_failed_uploads(self, *records: dict[str, Any]) -> dict[str, Any]:
        """Send Lambda's records of failed uploads to the failed-uploads queue (as its on-failure
        destination does), then hand them to the handler in one batch as the queue's event source
        mapping would; the messages it finished are deleted. Returns its answer."""
        for record in records:
            self.sqs.send_message(QueueUrl=self.failed_uploads_url, MessageBody=json.dumps(record))
        messages = self.sqs.receive_message(QueueUrl=self.failed_uploads_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0, AttributeNames=RECEIVE_ATTRIBUTES)["Messages"]
        assert len(messages) == len(records)
        answer = app.handler(sqs_event(messages, self.failed_uploads_arn, self.config.region), lambda_context())
        for message in messages_done(messages, True, answer):
            self.sqs.delete_message(QueueUrl=self.failed_uploads_url, ReceiptHandle=message["ReceiptHandle"])
        return answer

    def messages(self) -> list[Message]:
        """The results topic's messages so far (each read once), as a teacher's inbox gets them."""
        return read_messages(self.sqs, self.messages_url)

    def result(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.output_bucket, Key=key)["Body"].read()

    def csv_rows(self, key: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.result(key).decode("utf-8"))))

    def output_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.output_bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def put_roster(self, roster: Roster, tmp_path: Path) -> None:
        path = tmp_path / "replacement-roster.npz"
        roster.save(path)
        self.s3.put_object(Bucket=self.config.roster_bucket, Key=self.config.roster_key, Body=path.read_bytes())


def make_pipeline(emulator: Emulator, students: list[dict[str, Any]], roster: Roster | None, tmp_path: Path) -> Pipeline:
    """Provision a fresh stack as the local stack does (`classroom.provision`), under unique names.

    The handler then sees exactly the environment the deployed function gets
    (`lambda_environment`). With `roster=None` the roster object is removed after provisioning.
    """
    suffix = uuid.uuid4().hex[:8]
    students_file = tmp_path / f"students-{suffix}.json"
    students_file.write_text(json.dumps(students))
    roster_file = tmp_path / "roster.npz"
    (roster or Roster(("placeholder",), np.zeros((1, 128)))).save(roster_file)
    config = parse_config(
        {
            "inputBucket": f"test-input-{suffix}",
            "outputBucket": f"test-output-{suffix}",
            "rosterBucket": f"test-roster-{suffix}",
            "studentsTable": f"students-{suffix}",
            "studentsFile": str(students_file),
            "rosterFile": str(roster_file),
        },
        stack=f"test-{suffix}",
        region=emulator.region,
        base_dir=tmp_path,
    )
    s3, sqs, dynamodb, sns = (emulator.client(name) for name in ("s3", "sqs", "dynamodb", "sns"))
    provisioned = provision(config, s3, sqs, dynamodb, sns)
    if roster is None:
        s3.delete_object(Bucket=config.roster_bucket, Key=config.roster_key)
    pipeline = Pipeline(config=config, s3=s3, sqs=sqs, dynamodb=dynamodb, queue_url=provisioned.queue_url,
                        segment_queue_url=provisioned.segment_queue_url,
                        segment_queue_arn=provisioned.segment_queue_arn,
                        segment_dead_letter_url=provisioned.segment_dead_letter_url,
                        failed_uploads_url=provisioned.failed_uploads_url,
                        failed_uploads_arn=provisioned.failed_uploads_arn,
                        messages_url=provisioned.messages_url,
                        environment=lambda_environment(config))
    pipeline.events()  # drop the test event S3 sends when the notification is configured
    return pipeline


PipelineFactory = Callable[[list[dict[str, Any]], Roster | None], Pipeline]
