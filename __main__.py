"""Smart Classroom on AWS: upload a video, get the attendance CSV.

Reads like the architecture diagram: config -> storage -> tables (students with their courses,
jobs) -> notifications -> image -> segment queue -> function -> segment consumer -> trigger ->
outputs. Each step is a component in `infra/`. The results topic and the segment queue come
before the function because the function's role names them; the consumer (the event source
mapping that feeds the queue's segments back to the function) after it, because Lambda checks
that role when the mapping is created.
"""
import pulumi
import pulumi_aws as aws

from infra.config import PROJECT_DIR, from_pulumi
from infra.contract import (
    function_name,
    jobs_table_name,
    lambda_environment,
    notify_topic_name,
    failed_uploads_queue_name,
    segment_dead_letter_name,
    segment_queue_name,
)
from infra.function import FunctionArgs, VideoFunction
from infra.image import HandlerImage, ImageArgs, source_tag
from infra.notifications import Notifications, NotificationsArgs
from infra.segments import JobsTable, SegmentConsumer, SegmentConsumerArgs, SegmentQueue, SegmentQueueArgs
from infra.storage import Storage, StorageArgs
from infra.table import StudentsTable, TableArgs
from infra.trigger import TriggerArgs, UploadTrigger

# Validated before any resource is declared: a bad value stops here, naming its key.
config = from_pulumi()

storage = Storage(
    "storage",
    StorageArgs(
        input_bucket=config.input_bucket,
        output_bucket=config.output_bucket,
        roster_bucket=config.roster_bucket,
        roster_file=config.roster_file,
        roster_key=config.roster_key,
        force_destroy=config.force_destroy,
        video_retention_days=config.video_retention_days,
        result_retention_days=config.result_retention_days,
    ),
)

table = StudentsTable(
    "students",
    TableArgs(
        table_name=config.students_table,
        students=list(config.students),
        force_destroy=config.force_destroy,
    ),
)

jobs = JobsTable("jobs", table_name=jobs_table_name(config), force_destroy=config.force_destroy)

notifications = Notifications(
    "results",
    NotificationsArgs(topic_name=notify_topic_name(config), emails=config.notify_emails),
)

image = HandlerImage(
    "handler",
    ImageArgs(
        repository_name=config.name_prefix,
        tag=source_tag(PROJECT_DIR),
        force_destroy=config.force_destroy,
    ),
)

segments = SegmentQueue(
    "segments",
    SegmentQueueArgs(
        queue_name=segment_queue_name(config),
        dead_letter_name=segment_dead_letter_name(config),
        function_timeout=config.timeout,
    ),
)

function = VideoFunction(
    "attendance",
    FunctionArgs(
        function_name=function_name(config),
        failed_uploads_queue_name=failed_uploads_queue_name(config),
        image_uri=image.digest,
        environment=lambda_environment(config),
        memory_size=config.memory_size,
        timeout=config.timeout,
        ephemeral_storage=config.ephemeral_storage,
        reserved_concurrency=config.reserved_concurrency,
        log_retention_days=config.log_retention_days,
        input_bucket_arn=storage.input.arn,
        output_bucket_arn=storage.output.arn,
        roster_object_arn=pulumi.Output.concat(storage.roster.arn, "/", storage.roster_object.key),
        table_arn=table.table.arn,
        segment_queue_arn=segments.queue.arn,
        jobs_table_arn=jobs.table.arn,
        notify_topic_arn=notifications.topic.arn,
    ),
)

SegmentConsumer(
    "segment-consumer",
    SegmentConsumerArgs(
        queue_arn=segments.queue.arn,
        function_arn=function.function.arn,
        maximum_concurrency=config.segment_concurrency,
        role_policy=function.policy,
    ),
)

trigger = UploadTrigger(
    "video-uploaded",
    TriggerArgs(
        bucket_id=storage.input.id,
        bucket_arn=storage.input.arn,
        function_name=function.function.name,
        function_arn=function.function.arn,
        account_id=aws.get_caller_identity_output().account_id,
        video_suffixes=config.video_suffixes,
    ),
)

pulumi.export("inputBucket", storage.input.id)
pulumi.export("outputBucket", storage.output.id)
pulumi.export("rosterBucket", storage.roster.id)
pulumi.export("rosterUri", config.roster_uri)
pulumi.export("studentsTable", table.table.name)
pulumi.export("functionName", function.function.name)
pulumi.export("functionArn", function.function.arn)
pulumi.export("logGroup", function.log_group.name)
pulumi.export("imageDigest", image.digest)
pulumi.export("deadLetterQueueUrl", function.dead_letter_queue.url)
pulumi.export("failedUploadsQueueUrl", function.failed_uploads_queue.url)
pulumi.export("segmentQueueUrl", segments.queue.url)
pulumi.export("segmentDeadLetterQueueUrl", segments.dead_letter_queue.url)
pulumi.export("jobsTable", jobs.table.name)
pulumi.export("notifyTopicArn", notifications.topic.arn)
# Ready to paste: upload a video, then (a minute later) print its attendance CSV,
# which the handler writes under the same key with .csv.
pulumi.export(
    "uploadExample",
    pulumi.Output.format(
        "aws s3 cp lecture{0} s3://{1}/lecture{0} --region {2}",
        config.video_suffixes[0],
        storage.input.id,
        config.region,
    ),
)
pulumi.export(
    "resultsExample",
    pulumi.Output.format("aws s3 cp s3://{0}/lecture.csv - --region {1}", storage.output.id, config.region),
)
