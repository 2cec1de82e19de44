"""Segments: what lets one function split a long video and process the parts in parallel.

The S3-triggered invocation (the planner) writes one message per time segment to the
segment queue; the same function consumes that queue through an event source mapping,
one segment per invocation. Segment state and partial results live in the jobs table until
the last segment merges them into the CSV; DynamoDB's TTL removes what is left.

Three components, in the order the program needs them: the jobs table and the segment
queue exist before the function (its role names both), the consumer after it (Lambda checks
the role's SQS permissions when the mapping is created).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handler.segments.segment_contract import JOBS_EXPIRY_ATTRIBUTE, JOBS_PARTITION_KEY, JOBS_SORT_KEY
from infra.contract import (
    DEAD_LETTER_RETENTION_SECONDS,
    JOBS_KEYS,
    SEGMENT_BATCH_SIZE,
    SEGMENT_RESPONSE_TYPES,
    segment_queue_attributes,
)


class JobsTable(pulumi.ComponentResource):
    """On-demand table of segment jobs, keyed `pk`/`sk`, encrypted, emptied by TTL.

    No point-in-time recovery: every item is transient (a job lives minutes, TTL removes it),
    and a lost job costs one re-upload. Deletion protection follows forceDestroy, like the
    students table, so `pulumi destroy` of a prod stack cannot drop jobs in flight.
    """

    table: aws.dynamodb.Table

    def __init__(
        self, name: str, table_name: str, force_destroy: bool, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("smart-classroom:segments:JobsTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            name,
            name=table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=JOBS_PARTITION_KEY,
            range_key=JOBS_SORT_KEY,
            attributes=[aws.dynamodb.TableAttributeArgs(name=key, type=type_) for key, type_ in JOBS_KEYS],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=JOBS_EXPIRY_ATTRIBUTE, enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=not force_destroy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})


@dataclass(frozen=True)
class SegmentQueueArgs:
    """The queue's and its dead-letter queue's names, and the function timeout they serve."""

    queue_name: str
    dead_letter_name: str
    function_timeout: int


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    """The SQS redrive policy sending a message to `dead_letter_arn` after that many receives."""
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count})


def redriven_queue(name: str, queue_name: str, attributes: dict[str, int], dead_letter: aws.sqs.Queue,
                   opts: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """An encrypted queue the function consumes: a message it did not settle comes back after
    `visibility_timeout`, and goes to `dead_letter` after `max_receive_count` receives
    (infra.contract.segment_queue_attributes)."""
    return aws.sqs.Queue(
        name,
        name=queue_name,
        visibility_timeout_seconds=attributes["visibility_timeout"],
        redrive_policy=dead_letter.arn.apply(lambda arn: redrive_policy(arn, attributes["max_receive_count"])),
        sqs_managed_sse_enabled=True,
        opts=opts,
    )


class SegmentQueue(pulumi.ComponentResource):
    """The encrypted segment queue and its own dead-letter queue.

    The visibility timeout outlasts the function's timeout (a killed segment comes back only
    once Lambda has certainly given up on it) and the redrive count leaves the handler the
    receives it needs to write an error report (infra.contract.segment_queue_attributes).
    """

    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue

    def __init__(self, name: str, args: SegmentQueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:segments:SegmentQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        attributes = segment_queue_attributes(args.function_timeout)
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-failed",
            name=args.dead_letter_name,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        self.queue = redriven_queue(name, args.queue_name, attributes, self.dead_letter_queue, child)
        self.register_outputs({"queue_url": self.queue.url, "dead_letter_queue_url": self.dead_letter_queue.url})


@dataclass(frozen=True)
class SegmentConsumerArgs:
    """Which queue feeds which function, how many segments at most at once, and the role
    policy that must exist first."""

    queue_arn: pulumi.Input[str]
    function_arn: pulumi.Input[str]
    maximum_concurrency: int
    role_policy: pulumi.Resource


class SegmentConsumer(pulumi.ComponentResource):
    """The event source mapping: one segment per invocation, failures reported per message,
    at most `maximum_concurrency` segments at once (the cap on a long video's fan-out)."""

    mapping: aws.lambda_.EventSourceMapping

    def __init__(self, name: str, args: SegmentConsumerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:segments:SegmentConsumer", name, None, opts)
        self.mapping = aws.lambda_.EventSourceMapping(
            name,
            event_source_arn=args.queue_arn,
            function_name=args.function_arn,
            batch_size=SEGMENT_BATCH_SIZE,
            function_response_types=list(SEGMENT_RESPONSE_TYPES),
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=args.maximum_concurrency
            ),
            # Lambda refuses the mapping unless the role may already receive from the queue.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.role_policy]),
        )
        self.register_outputs({"mapping": self.mapping.id})
