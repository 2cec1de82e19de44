"""A deployed-like pipeline in the emulator: buckets, table, roster, and S3 → SQS delivery.

The handler is called with the event S3 itself produced (read from the queue the input
bucket notifies), so keys arrive URL-encoded exactly as AWS sends them.
"""
from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from classroom.emulator import Emulator
from handler import app
from handler.enrol import import_pickle
from handler.roster import Roster


@dataclass
class FakeContext:
    """The attributes of a Lambda context object that the handler reads."""

    aws_request_id: str = "test-request"
    function_name: str = "smart-classroom-test"
    memory_limit_in_mb: int = 3008

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class Pipeline:
    """One isolated set of buckets, table and queue; `upload` then `deliver` runs the handler."""

    s3: Any
    sqs: Any
    dynamodb: Any
    input_bucket: str
    output_bucket: str
    roster_bucket: str
    table: str
    queue_url: str
    environment: dict[str, str]

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
        """Run the handler once per queued event, as Lambda would; returns the summaries."""
        return [app.handler(event, FakeContext()) for event in self.events()]

    def result(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.output_bucket, Key=key)["Body"].read()

    def csv_rows(self, key: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.result(key).decode("utf-8"))))

    def output_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.output_bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def put_roster(self, roster: Roster, tmp_path: Path) -> None:
        path = tmp_path / "roster.npz"
        roster.save(path)
        self.s3.put_object(Bucket=self.roster_bucket, Key="roster.npz", Body=path.read_bytes())


def make_pipeline(emulator: Emulator, students: list[dict[str, Any]], roster: Roster | None, tmp_path: Path) -> Pipeline:
    """Provision a fresh pipeline (unique names, so tests never see each other's objects)."""
    suffix = uuid.uuid4().hex[:8]
    s3 = boto3.client("s3", endpoint_url=emulator.endpoint_url)
    sqs = boto3.client("sqs", endpoint_url=emulator.endpoint_url)
    dynamodb = boto3.client("dynamodb", endpoint_url=emulator.endpoint_url)
    names = {part: f"test-{part}-{suffix}" for part in ("input", "output", "roster")}
    for bucket in names.values():
        s3.create_bucket(Bucket=bucket)
    table = f"students-{suffix}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for record in students:
        dynamodb.put_item(
            TableName=table,
            Item={"name": {"S": record["name"]}, "id": {"N": str(record["id"])},
                  "major": {"S": record["major"]}, "year": {"S": record["year"]}},
        )
    queue_url = sqs.create_queue(QueueName=f"uploads-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=names["input"],
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix_}]}}}
                for suffix_ in (".mp4", ".mov", ".avi")
            ]
        },
    )
    pipeline = Pipeline(
        s3=s3, sqs=sqs, dynamodb=dynamodb,
        input_bucket=names["input"], output_bucket=names["output"], roster_bucket=names["roster"],
        table=table, queue_url=queue_url,
        environment={
            "OUTPUT_BUCKET": names["output"],
            "STUDENTS_TABLE": table,
            "ROSTER_URI": f"s3://{names['roster']}/roster.npz",
            "RECOGNITION_MODE": "all",
        },
    )
    if roster is not None:
        pipeline.put_roster(roster, tmp_path)
    pipeline.events()  # drop the test event S3 sends when the notification is configured
    return pipeline


@pytest.fixture(scope="session")
def classroom_roster(datasets: Path) -> Roster:
    return import_pickle(datasets / "classroom" / "encoding.pickle")


@pytest.fixture(scope="session")
def classroom_students(datasets: Path) -> list[dict[str, Any]]:
    return json.loads((datasets / "classroom" / "student_data.json").read_text())


@pytest.fixture
def classroom(emulator: Emulator, classroom_roster: Roster, classroom_students: list[dict[str, Any]],
              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """The original sample's roster (11 people) and student table (8 records)."""
    pipeline = make_pipeline(emulator, classroom_students, classroom_roster, tmp_path)
    for name, value in pipeline.environment.items():
        monkeypatch.setenv(name, value)
    yield pipeline
