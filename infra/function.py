"""Function: the Lambda that turns a video into attendance, with its role, logs and guards.

The role grants exactly what the handler does and nothing else. An upload whose every try
failed (after a bounded number of retries: out of memory, out of time, a crash) is recorded by
Lambda in the failed-uploads queue, which the function consumes to write that upload's error
report, so no video is lost silently; a record that cannot be reported lands in the
dead-letter queue. Lambda's recursive-loop detection stays on `Terminate` as a second guard
behind the config check that keeps the output bucket apart from the input bucket.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.contract import (
    ASYNC_RETRY_ATTEMPTS,
    DEAD_LETTER_RETENTION_SECONDS,
    FAILED_UPLOADS_BATCH_SIZE,
    FAILED_UPLOADS_CONCURRENCY,
    SEGMENT_RESPONSE_TYPES,
    failed_uploads_queue_attributes,
    log_group_name,
)
from infra.segments import redriven_queue

MAX_EVENT_AGE_SECONDS = 2 * 60 * 60
"""How long an upload may wait (throttled by reserved concurrency) before it is given up
and reported as failed (Lambda allows 60 to 21600)."""

ARCHITECTURE = "x86_64"
"""Matches the image's platform, linux/amd64 (infra.image.PLATFORM)."""


@dataclass(frozen=True)
class FunctionArgs:
    """What the function runs, with what settings, and the ARNs its role may touch."""

    image_uri: pulumi.Input[str]
    environment: dict[str, str]
    memory_size: int
    timeout: int
    ephemeral_storage: int
    reserved_concurrency: int | None
    log_retention_days: int
    input_bucket_arn: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    roster_object_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    segment_queue_arn: pulumi.Input[str]
    jobs_table_arn: pulumi.Input[str]
    notify_topic_arn: pulumi.Input[str]
    function_name: str
    failed_uploads_queue_name: str


def assume_role_policy() -> str:
    """The trust policy letting Lambda assume the function's role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def handler_policy(
    input_bucket_arn: str,
    output_bucket_arn: str,
    roster_object_arn: str,
    table_arn: str,
    log_group_arn: str,
    failed_uploads_queue_arn: str,
    segment_queue_arn: str,
    jobs_table_arn: str,
    notify_topic_arn: str,
) -> dict[str, Any]:
    """The function role's permissions: exactly the handler's reads and writes.

    Read a video, write a CSV, read the roster, look students up and read a course's list,
    write its own logs, (for Lambda's on-failure destination, which acts with this role) hand
    the record of a failed upload to the failed-uploads queue and, as that queue's consumer,
    receive and settle it once its report is written; split a long video: send its segments to the
    segment queue and, as that queue's consumer, receive and settle them, keeping their state
    in the jobs table; and tell the results topic about each result.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadVideos",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{input_bucket_arn}/*"],
            },
            {
                "Sid": "WriteResults",
                "Effect": "Allow",
                # DeleteObject: a new result of a video replaces the other kind (a CSV removes
                # the error report an earlier upload of the same key left, and the reverse).
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{output_bucket_arn}/*"],
            },
            {
                "Sid": "ReadRoster",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [roster_object_arn],
            },
            {
                "Sid": "LookUpStudents",
                "Effect": "Allow",
                "Action": ["dynamodb:BatchGetItem", "dynamodb:GetItem"],
                "Resource": [table_arn],
            },
            {
                "Sid": "ReadCourseLists",
                "Effect": "Allow",
                # One Query on a course item's key (handler.attendance.courses.fetch_course), on the table
                # itself: the table has no index, and a Scan is never needed.
                "Action": ["dynamodb:Query"],
                "Resource": [table_arn],
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{log_group_arn}:*"],
            },
            {
                "Sid": "ReportFailedUploads",
                "Effect": "Allow",
                # Send: Lambda's on-failure destination, acting with this role. Receive, Delete,
                # GetQueueAttributes: the event source mapping that hands the records back.
                "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [failed_uploads_queue_arn],
            },
            {
                "Sid": "PlanAndConsumeSegments",
                "Effect": "Allow",
                # GetQueueUrl: the handler is given the queue's name (SEGMENT_QUEUE). Send: the
                # planner. Receive, Delete, GetQueueAttributes: the event source mapping, which
                # polls with this role. ChangeMessageVisibility: a segment handed back early.
                "Action": [
                    "sqs:GetQueueUrl",
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                ],
                "Resource": [segment_queue_arn],
            },
            {
                "Sid": "TrackJobs",
                "Effect": "Allow",
                # The job, its finished segments and each key's newest upload (handler/segments/segment_contract.py):
                # items written and updated per segment, a job's segments read back with Query for
                # the merge, and cleared (DeleteItem, BatchWriteItem) once the result is written.
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                    "dynamodb:BatchWriteItem",
                ],
                "Resource": [jobs_table_arn],
            },
            {
                "Sid": "NotifyResults",
                "Effect": "Allow",
                # One message per result to the stack's topic (encrypted with the AWS-managed
                # key, whose key policy already admits the account's principals through SNS).
                "Action": ["sns:Publish"],
                "Resource": [notify_topic_arn],
            },
        ],
    }


class VideoFunction(pulumi.ComponentResource):
    """The Lambda with its role, log group, async-invocation settings and loop guard."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    dead_letter_queue: aws.sqs.Queue
    failed_uploads_queue: aws.sqs.Queue
    policy: aws.iam.RolePolicy
    """The role's permissions; whatever acts with the role (the segment consumer) waits for it."""

    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:function:VideoFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Lambda's conventional log group, declared so that retention applies to it.
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=log_group_name(args.function_name),
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-failed",
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        self.failed_uploads_queue = redriven_queue(
            f"{name}-failed-uploads", args.failed_uploads_queue_name,
            failed_uploads_queue_attributes(args.timeout), self.dead_letter_queue, child,
        )
        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=assume_role_policy(), opts=child)
        self.policy = policy = aws.iam.RolePolicy(
            f"{name}-access",
            role=self.role.id,
            policy=pulumi.Output.all(
                args.input_bucket_arn,
                args.output_bucket_arn,
                args.roster_object_arn,
                args.table_arn,
                self.log_group.arn,
                self.failed_uploads_queue.arn,
                args.segment_queue_arn,
                args.jobs_table_arn,
                args.notify_topic_arn,
            ).apply(lambda arns: json.dumps(handler_policy(*arns))),
            opts=child,
        )

        self.function = aws.lambda_.Function(
            name,
            name=args.function_name,
            package_type="Image",
            image_uri=args.image_uri,
            architectures=[ARCHITECTURE],
            role=self.role.arn,
            memory_size=args.memory_size,
            timeout=args.timeout,
            ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=args.ephemeral_storage),
            reserved_concurrent_executions=args.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=args.environment),
            # Lambda's JSON log format: the runtime writes each `logging` record of the handler
            # as one JSON line (handler/logs.py), with its request id and traceback.
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", application_log_level="INFO", system_log_level="WARN",
                log_group=self.log_group.name,
            ),
            # The role must be able to log and read before the first invocation; the name
            # is fixed, so a replacement must delete the old function first.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[policy, self.log_group], delete_before_replace=True
            ),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=self.function.name,
            maximum_retry_attempts=ASYNC_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.failed_uploads_queue.arn,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        # The failed uploads' records back to the function, which writes their error reports.
        aws.lambda_.EventSourceMapping(
            f"{name}-failed-uploads",
            event_source_arn=self.failed_uploads_queue.arn,
            function_name=self.function.arn,
            batch_size=FAILED_UPLOADS_BATCH_SIZE,
            function_response_types=list(SEGMENT_RESPONSE_TYPES),
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=FAILED_UPLOADS_CONCURRENCY
            ),
            # Lambda refuses the mapping unless the role may already receive from the queue.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.lambda_.FunctionRecursionConfig(
            f"{name}-recursion",
            function_name=self.function.name,
            recursive_loop="Terminate",
            opts=child,
        )
        self.register_outputs(
            {
                "function_name": self.function.name,
                "function_arn": self.function.arn,
                "dead_letter_queue_url": self.dead_letter_queue.url,
                "failed_uploads_queue_url": self.failed_uploads_queue.url,
            }
        )
