"""Provision in the emulator what the Pulumi stack provisions, from the same StackConfig.

Buckets, the students table seeded from `studentsFile`, the roster object from `rosterFile`,
the course items beside the students, the jobs table and the segment queue (with its
dead-letter queue) of split videos, the results topic (with an SQS queue subscribed to it, so
the local stack can show the teacher's messages), and the input bucket's upload notification
(one rule per configured suffix).
In AWS that notification targets the Lambda; here it targets an SQS queue the local invoker
drains, so the handler receives the event S3 itself produced.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handler.segments.segment_contract import JOBS_EXPIRY_ATTRIBUTE, JOBS_PARTITION_KEY, JOBS_SORT_KEY
from infra.config import StackConfig
from infra.contract import (
    STUDENTS_KEY,
    STUDENTS_KEY_TYPE,
    UPLOAD_EVENTS,
    course_items,
    failed_uploads_queue_attributes,
    failed_uploads_queue_name,
    jobs_table_name,
    notify_topic_name,
    public_access_block_boto3,
    segment_dead_letter_name,
    segment_queue_attributes,
    segment_queue_name,
    suffix_filters,
    student_item,
)

QUEUE_SUFFIX = "-invocations"
DEAD_LETTER_SUFFIX = "-invocations-dlq"


@dataclass(frozen=True)
class Provisioned:
    """Where the provisioned resources are, for the invoker and the printed instructions."""

    queue_url: str
    queue_arn: str
    dead_letter_url: str
    failed_uploads_url: str  # Lambda's on-failure destination; redrives to dead_letter_url
    failed_uploads_arn: str
    students: int
    segment_queue_url: str
    segment_queue_arn: str
    segment_dead_letter_url: str
    topic_arn: str
    messages_url: str  # an SQS queue subscribed to the topic: the messages a teacher would get


def queue_names(config: StackConfig) -> tuple[str, str]:
    """The invocation queue and its dead-letter queue, named after the stack."""
    return config.name_prefix + QUEUE_SUFFIX, config.name_prefix + DEAD_LETTER_SUFFIX


def notification_configuration(queue_arn: str, suffixes: tuple[str, ...]) -> dict[str, Any]:
    """One ObjectCreated rule per spelling of each suffix: S3 filters take one suffix a rule and
    match it case-sensitively."""
    return {
        "QueueConfigurations": [
            {
                "Id": f"video{suffix}",
                "QueueArn": queue_arn,
                "Events": list(UPLOAD_EVENTS),
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}]}},
            }
            for suffix in suffix_filters(suffixes)
        ]
    }


def _create_bucket(s3: Any, name: str, region: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    # As the stack does: no public access, whatever a later policy says.
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration=public_access_block_boto3(),
    )


def _create_queues(sqs: Any, config: StackConfig) -> tuple[str, str, str]:
    name, dead_letter_name = queue_names(config)
    dead_letter_url = sqs.create_queue(QueueName=dead_letter_name)["QueueUrl"]
    # Long enough for the handler's timeout times Lambda's three attempts.
    visibility = min(43200, (config.timeout + 30) * 3)
    queue_url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": str(visibility)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{config.input_bucket}"}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    return queue_url, arn, dead_letter_url


def _seed_students(dynamodb: Any, config: StackConfig) -> int:
    dynamodb.create_table(
        TableName=config.students_table,
        AttributeDefinitions=[{"AttributeName": STUDENTS_KEY, "AttributeType": STUDENTS_KEY_TYPE}],
        KeySchema=[{"AttributeName": STUDENTS_KEY, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for record in config.students:
        dynamodb.put_item(TableName=config.students_table, Item=student_item(record))
    for item in course_items(config.students):
        dynamodb.put_item(TableName=config.students_table, Item=item)
    return len(config.students)


def messages_queue_name(config: StackConfig) -> str:
    """The local stack's stand-in for the teacher's inbox: an SQS queue on the results topic."""
    return f"{notify_topic_name(config)}-inbox"


def _create_topic(sns: Any, sqs: Any, config: StackConfig) -> tuple[str, str]:
    topic_arn = sns.create_topic(Name=notify_topic_name(config))["TopicArn"]
    url = sqs.create_queue(QueueName=messages_queue_name(config))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"})
    return topic_arn, url


def _create_jobs_table(dynamodb: Any, config: StackConfig) -> None:
    name = jobs_table_name(config)
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in (JOBS_PARTITION_KEY, JOBS_SORT_KEY)],
        KeySchema=[{"AttributeName": JOBS_PARTITION_KEY, "KeyType": "HASH"},
                   {"AttributeName": JOBS_SORT_KEY, "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": JOBS_EXPIRY_ATTRIBUTE})


def _create_redriven_queue(sqs: Any, name: str, attributes: dict[str, int], dead_letter_url: str) -> tuple[str, str]:
    """A queue the function consumes, as the stack makes it: visibility and maxReceiveCount from
    the contract, redriven to the dead-letter queue. Its URL and ARN."""
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(attributes["max_receive_count"])}
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(attributes["visibility_timeout"]), "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _create_segment_queues(sqs: Any, config: StackConfig) -> tuple[str, str, str]:
    """The segment queue and its own dead-letter queue."""
    dead_letter_url = sqs.create_queue(QueueName=segment_dead_letter_name(config))["QueueUrl"]
    url, arn = _create_redriven_queue(sqs, segment_queue_name(config), segment_queue_attributes(config.timeout),
                                      dead_letter_url)
    return url, arn, dead_letter_url


def provision(config: StackConfig, s3: Any, sqs: Any, dynamodb: Any, sns: Any) -> Provisioned:
    """Create every resource the handler touches; the clients must point at the emulator."""
    for bucket in (config.input_bucket, config.output_bucket, config.roster_bucket):
        _create_bucket(s3, bucket, config.region)
    s3.upload_file(str(config.roster_file), config.roster_bucket, config.roster_key)
    students = _seed_students(dynamodb, config)
    _create_jobs_table(dynamodb, config)
    queue_url, queue_arn, dead_letter_url = _create_queues(sqs, config)
    failed_uploads_url, failed_uploads_arn = _create_redriven_queue(
        sqs, failed_uploads_queue_name(config), failed_uploads_queue_attributes(config.timeout), dead_letter_url)
    segment_url, segment_arn, segment_dead_letter_url = _create_segment_queues(sqs, config)
    topic_arn, messages_url = _create_topic(sns, sqs, config)
    s3.put_bucket_notification_configuration(
        Bucket=config.input_bucket,
        NotificationConfiguration=notification_configuration(queue_arn, config.video_suffixes),
    )
    return Provisioned(queue_url=queue_url, queue_arn=queue_arn, dead_letter_url=dead_letter_url,
                       failed_uploads_url=failed_uploads_url, failed_uploads_arn=failed_uploads_arn, students=students,
                       segment_queue_url=segment_url, segment_queue_arn=segment_arn,
                       segment_dead_letter_url=segment_dead_letter_url, topic_arn=topic_arn, messages_url=messages_url)


def deprovision(config: StackConfig, s3: Any, sqs: Any, dynamodb: Any, sns: Any) -> None:
    """Delete what `provision` created. moto keeps its state per process, not per server, so a
    second local stack in the same process (the tests, the demo) must find the names free."""
    for bucket in (config.input_bucket, config.output_bucket, config.roster_bucket):
        _ignore_missing(_empty_and_delete_bucket, s3, bucket)
    _ignore_missing(lambda: dynamodb.delete_table(TableName=config.students_table))
    _ignore_missing(lambda: dynamodb.delete_table(TableName=jobs_table_name(config)))
    for topic in sns.list_topics().get("Topics", []):
        if topic["TopicArn"].endswith(":" + notify_topic_name(config)):
            _ignore_missing(lambda: sns.delete_topic(TopicArn=topic["TopicArn"]))
    for name in (*queue_names(config), failed_uploads_queue_name(config), segment_queue_name(config),
                 segment_dead_letter_name(config),
                 messages_queue_name(config)):
        _ignore_missing(lambda: sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"]))


def _empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def _ignore_missing(action: Any, *args: Any) -> None:
    from botocore.exceptions import ClientError

    try:
        action(*args)
    except ClientError:
        pass  # already gone (or never made, when provisioning failed half-way)
