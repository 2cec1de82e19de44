"""The resource graph `pulumi up` would create for a dev-like stack, seen through mocks.

Each test checks something that decides whether the deployed pipeline works and is safe:
private buckets, the exact IAM grants, the function wired to the pushed image digest, the
trigger that cannot fire before S3 is allowed to invoke the function. (Over 300 lines on
purpose: one short test per resource of the program, all reading the one recorded run.)

The run is recorded with a subclass of Pulumi's mock monitor (tests/infra/conftest.py), not
only `pulumi.runtime.Mocks`, because the graph tests need each resource's parent and
dependencies, which the public mocks API does not hand over.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from handler.attendance.courses import COURSE_PREFIX
from infra.config import parse_config
from infra.errors import ConfigError
from handler.segments.segment_contract import (
    JOBS_EXPIRY_ATTRIBUTE,
    JOBS_PARTITION_KEY,
    JOBS_SORT_KEY,
    SEGMENT_MAX_RECEIVES,
    SEGMENT_RETRY_SLACK_SECONDS,
)
from infra.contract import (
    ASYNC_RETRY_ATTEMPTS,
    lambda_environment,
    segment_queue_attributes,
    student_item,
    suffix_filters,
)

from tests.infra.program import Program

BUCKET = "aws:s3/bucket:Bucket"
FUNCTION = "aws:lambda/function:Function"
TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ITEM = "aws:dynamodb/tableItem:TableItem"


def arn_of(program: Program, type_: str, name: str) -> str:
    """The ARN the (mocked) provider returned for one resource."""
    return program.one(type_, name).outputs["arn"]


def bucket_named(program: Program, bucket: str) -> Any:
    """The bucket resource with this physical name."""
    [found] = [b for b in program.of_type(BUCKET) if b.inputs["bucket"] == bucket]
    return found


def children_of(program: Program, parent_urn: str, type_: str) -> list[Any]:
    """Resources of a type whose parent is the given resource."""
    return [r for r in program.of_type(type_) if r.parent == parent_urn]


def role_policy(program: Program) -> dict[str, Any]:
    """The function role's inline policy document."""
    return json.loads(program.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])


# --- storage ----------------------------------------------------------------------------


def test_three_buckets_named_from_config(dev_program: Program, dev_values: dict[str, str]) -> None:
    """Input, output and roster buckets exist with the configured (and derived) names."""
    names = sorted(b.inputs["bucket"] for b in dev_program.of_type(BUCKET))
    assert names == sorted(
        [dev_values["inputBucket"], dev_values["outputBucket"], f"{dev_values['inputBucket']}-roster"]
    )


@pytest.mark.parametrize("key", ["inputBucket", "outputBucket", "rosterBucket"])
def test_every_bucket_private_encrypted_and_tls_only(
    dev_program: Program, dev_exports_key: Callable[[str], str], key: str
) -> None:
    """Each bucket blocks public access, disables ACLs, encrypts at rest and refuses plain HTTP."""
    bucket = bucket_named(dev_program, dev_exports_key(key))
    # Guard rails are children of the bucket's component, which also parents the bucket.
    component = bucket.parent

    [block] = children_of(dev_program, component, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert block.inputs["bucket"] == bucket.outputs["bucket"]
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[setting] is True, setting

    [ownership] = children_of(dev_program, component, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}

    [encryption] = children_of(
        dev_program,
        component,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    [rule] = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")

    [policy] = children_of(dev_program, component, "aws:s3/bucketPolicy:BucketPolicy")
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    arn = bucket.outputs["arn"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == sorted([arn, f"{arn}/*"])
    assert block.urn in policy.dependencies, "the policy must wait for the public access block"


LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def lifecycle_of(program: Program, bucket_name: str) -> list[dict[str, Any]]:
    """The lifecycle rules of the bucket with this physical name (its only lifecycle configuration)."""
    bucket = bucket_named(program, bucket_name)
    [lifecycle] = children_of(program, bucket.parent, LIFECYCLE)
    assert lifecycle.inputs["bucket"] == bucket.outputs["bucket"]
    return lifecycle.inputs["rules"]


ABORT_RULE = {
    "id": "abort-incomplete-uploads",
    "status": "Enabled",
    "filter": {"prefix": ""},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
}


def expire_rule(days: int) -> dict[str, Any]:
    """The rule deleting every object `days` after it was written."""
    return {"id": f"expire-after-{days}-days", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": days}}


def test_lifecycle_expires_videos_keeps_results_and_aborts_incomplete_uploads(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """By default videos (faces) go after 30 days, results (the record) stay, and every bucket
    drops multipart uploads left incomplete for a day."""
    assert lifecycle_of(dev_program, dev_values["inputBucket"]) == [ABORT_RULE, expire_rule(30)]
    assert lifecycle_of(dev_program, dev_values["outputBucket"]) == [ABORT_RULE]
    assert lifecycle_of(dev_program, f"{dev_values['inputBucket']}-roster") == [ABORT_RULE]
    assert len(dev_program.of_type(LIFECYCLE)) == 3


def test_retention_follows_config(program_runner: Callable[..., Program], dev_values: dict[str, str]) -> None:
    """videoRetentionDays 0 keeps videos; resultRetentionDays 365 expires results after a year."""
    program = program_runner({**dev_values, "videoRetentionDays": "0", "resultRetentionDays": "365"})
    assert lifecycle_of(program, dev_values["inputBucket"]) == [ABORT_RULE]
    assert lifecycle_of(program, dev_values["outputBucket"]) == [ABORT_RULE, expire_rule(365)]


@pytest.fixture
def dev_exports_key(dev_program: Program) -> Callable[[str], str]:
    """Look up a stack output of the dev program by name."""
    return lambda key: dev_program.exports[key]


def test_force_destroy_follows_config(
    program_runner: Callable[..., Program], dev_values: dict[str, str]
) -> None:
    """Dev buckets and repository can be destroyed full; by default they cannot, and the table is protected."""
    dev = program_runner(dev_values)
    assert all(b.inputs["forceDestroy"] is True for b in dev.of_type(BUCKET))
    assert dev.one("aws:ecr/repository:Repository").inputs["forceDelete"] is True
    assert [t.inputs["deletionProtectionEnabled"] for t in dev.of_type(TABLE)] == [False, False]

    values = {k: v for k, v in dev_values.items() if k != "forceDestroy"}
    prod = program_runner(values, stack="prod")
    assert all(b.inputs.get("forceDestroy") is False for b in prod.of_type(BUCKET))
    assert prod.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False
    assert [t.inputs["deletionProtectionEnabled"] for t in prod.of_type(TABLE)] == [True, True]


def test_roster_uploaded_from_roster_file(dev_program: Program, dev_values: dict[str, str]) -> None:
    """The roster .npz is an object in the roster bucket, at the key ROSTER_URI names."""
    roster = dev_program.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert roster.inputs["bucket"] == f"{dev_values['inputBucket']}-roster"
    assert dev_program.exports["rosterUri"] == f"s3://{roster.inputs['bucket']}/{roster.inputs['key']}"
    assert Path(roster.inputs["source"].path) == Path(dev_values["rosterFile"])


# --- table ------------------------------------------------------------------------------


def test_students_table_settings(dev_program: Program) -> None:
    """On-demand, keyed by name (string), encrypted, with point-in-time recovery."""
    table = dev_program.one(TABLE, "students")
    assert table.inputs["name"] == "smart-classroom-dev-students"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["hashKey"] == "name"
    assert table.inputs["attributes"] == [{"name": "name", "type": "S"}]
    assert table.inputs["serverSideEncryption"]["enabled"] is True
    assert table.inputs["pointInTimeRecovery"]["enabled"] is True
    assert "readCapacity" not in table.inputs and "writeCapacity" not in table.inputs


def test_one_table_item_per_student(dev_program: Program, students: list[dict[str, Any]]) -> None:
    """Every record of the students file is declared as an item of the table, and nothing else."""
    table = dev_program.one(TABLE, "students")
    items = dev_program.of_type("aws:dynamodb/tableItem:TableItem")
    assert len(items) == len(students)
    for item in items:
        assert item.inputs["tableName"] == table.outputs["name"]
        assert item.inputs["hashKey"] == "name"
    assert sorted(json.loads(i.inputs["item"])["name"]["S"] for i in items) == sorted(s["name"] for s in students)
    assert {i.inputs["item"] for i in items} == {json.dumps(student_item(s)) for s in students}


COURSE_STUDENTS = [
    {"id": 1, "name": "ada_lovelace", "major": "Mathematics", "year": "Senior", "courses": ["cse546", "cse535"]},
    {"id": 2, "name": "alan_turing", "major": "Computer Science", "year": "Junior", "courses": ["cse546"]},
    {"id": 3, "name": "grace_hopper", "major": "Physics", "year": 2026, "courses": ["cse535"]},
    {"id": 4, "name": "cse546", "major": "Visiting", "year": "n/a"},  # a student named like a course id
]


def test_one_table_item_per_course(
    program_runner: Callable[..., Program], dev_values: dict[str, str], tmp_path: Path
) -> None:
    """Two courses, one student in both: each course is one item keyed `course#<id>` holding its
    list (a string set), declared beside the students' items and never under a student's name."""
    students_file = tmp_path / "students.json"
    students_file.write_text(json.dumps(COURSE_STUDENTS), encoding="utf-8")
    program = program_runner({**dev_values, "studentsFile": str(students_file)})
    table = program.one(TABLE, "students")
    items = {i.name: i for i in program.of_type(ITEM)}
    assert sorted(items) == [
        "course-cse535", "course-cse546",
        "student-ada_lovelace", "student-alan_turing", "student-cse546", "student-grace_hopper",
    ]
    for item in items.values():
        assert item.inputs["tableName"] == table.outputs["name"]
        assert item.inputs["hashKey"] == "name"
    assert json.loads(items["course-cse546"].inputs["item"]) == {
        "name": {"S": "course#cse546"}, "course": {"S": "cse546"}, "students": {"SS": ["ada_lovelace", "alan_turing"]},
    }
    assert json.loads(items["course-cse535"].inputs["item"]) == {
        "name": {"S": "course#cse535"}, "course": {"S": "cse535"}, "students": {"SS": ["ada_lovelace", "grace_hopper"]},
    }
    assert json.loads(items["student-ada_lovelace"].inputs["item"])["courses"] == {"SS": ["cse535", "cse546"]}
    assert json.loads(items["student-cse546"].inputs["item"]) == student_item(COURSE_STUDENTS[3])
    assert "courses" not in json.loads(items["student-cse546"].inputs["item"])


def test_no_course_items_without_courses(dev_program: Program) -> None:
    """A students file without `courses` seeds students only: every video gets today's CSV."""
    keys = [json.loads(i.inputs["item"])["name"]["S"] for i in dev_program.of_type(ITEM)]
    assert keys and not [k for k in keys if k.startswith(COURSE_PREFIX)]


# --- notifications ----------------------------------------------------------------------


def test_results_topic_is_named_for_the_handler_and_encrypted(dev_program: Program) -> None:
    """The topic's name is the one the handler is given (NOTIFY_TOPIC); messages (absent names)
    are encrypted at rest with the AWS-managed SNS key; nobody is subscribed unless configured."""
    topic = dev_program.one(TOPIC)
    assert topic.inputs["name"] == "smart-classroom-dev-results"
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert "fifoTopic" not in topic.inputs  # a standard topic: e-mail cannot subscribe to FIFO
    assert dev_program.of_type(SUBSCRIPTION) == []


def test_each_notify_email_is_subscribed_by_email(
    program_runner: Callable[..., Program], dev_values: dict[str, str]
) -> None:
    """`notifyEmails a@school.edu,b@school.edu`: one `email` subscription each, to the topic,
    named after its address (reordering the list changes nothing)."""
    program = program_runner({**dev_values, "notifyEmails": "a@school.edu, b.teacher@school.edu"})
    topic = program.one(TOPIC)
    subscriptions = program.of_type(SUBSCRIPTION)
    assert sorted((s.name, s.inputs["endpoint"]) for s in subscriptions) == [
        ("results-a@school.edu", "a@school.edu"), ("results-b.teacher@school.edu", "b.teacher@school.edu"),
    ]
    for subscription in subscriptions:
        assert subscription.inputs["protocol"] == "email"
        assert subscription.inputs["topic"] == topic.outputs["arn"]
        assert subscription.parent == topic.parent  # both in the notifications component


# --- image ------------------------------------------------------------------------------


def test_ecr_repository_scans_lets_tags_move_and_expires_old_images(dev_program: Program) -> None:
    """Images are scanned on push; a tag may move (pulumi-docker rebuilds on changes our tag does
    not see, e.g. a file mode, and re-pushes the same tag; the function runs the digest); old
    images expire."""
    repository = dev_program.one("aws:ecr/repository:Repository")
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["imageTagMutability"] == "MUTABLE"
    lifecycle = dev_program.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert lifecycle.inputs["repository"] == repository.inputs["name"]
    [rule] = json.loads(lifecycle.inputs["policy"])["rules"]
    assert rule["selection"]["countType"] == "imageCountMoreThan"
    assert 1 <= rule["selection"]["countNumber"] <= 10
    assert rule["action"] == {"type": "expire"}


def test_image_built_for_amd64_and_pushed_to_the_repository(dev_program: Program) -> None:
    """The Dockerfile is built for linux/amd64 alone, with the Engine API's BuildKit (no buildx, so no
    attestation index: one manifest, as Lambda needs) and pushed with an ECR token to our repository."""
    repository = dev_program.one("aws:ecr/repository:Repository")
    image = dev_program.one("docker:index/image:Image")
    assert image.inputs["build"]["platform"] == "linux/amd64"
    assert image.inputs["build"]["builderVersion"] == "BuilderBuildKit"
    assert "," not in image.inputs["build"]["platform"]  # one platform: no manifest list
    # This build arg would make BuildKit export an index even for one platform.
    assert "BUILDKIT_MULTI_PLATFORM" not in image.inputs["build"].get("args", {})
    assert image.inputs.get("skipPush") in (None, False)
    assert image.inputs["build"]["dockerfile"] == "Dockerfile"
    assert image.inputs["build"]["context"] == "."
    assert image.inputs["imageName"].startswith(repository.outputs["repositoryUrl"] + ":src-")
    assert image.inputs["registry"]["server"] == repository.outputs["repositoryUrl"]
    assert image.inputs["registry"]["username"] == "AWS"
    assert image.inputs["registry"]["password"] == "password"  # the mocked ECR token's
    assert "registry" in image.secret_inputs, "the registry password must be kept secret in state"
    assert "aws:ecr/getAuthorizationToken:getAuthorizationToken" in dev_program.calls


# --- function ---------------------------------------------------------------------------


def test_function_runs_the_pushed_digest(dev_program: Program) -> None:
    """The Lambda's image is the digest of the pushed image (so every build rolls out), not a tag."""
    image = dev_program.one("docker:index/image:Image")
    function = dev_program.one(FUNCTION)
    assert function.inputs["packageType"] == "Image"
    assert function.inputs["imageUri"] == image.outputs["repoDigest"]
    assert "@sha256:" in function.inputs["imageUri"]
    assert dev_program.exports["imageDigest"] == image.outputs["repoDigest"]
    assert function.inputs["architectures"] == ["x86_64"]


def test_function_settings_from_config(dev_program: Program, dev_values: dict[str, str]) -> None:
    """Memory, timeout, /tmp size, reserved concurrency and log retention are the configured ones."""
    function = dev_program.one(FUNCTION)
    assert function.inputs["memorySize"] == int(dev_values["memorySize"])
    assert function.inputs["timeout"] == int(dev_values["timeout"])
    assert function.inputs["ephemeralStorage"] == {"size": int(dev_values["ephemeralStorage"])}
    assert function.inputs["reservedConcurrentExecutions"] == int(dev_values["reservedConcurrency"])
    log_group = dev_program.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["retentionInDays"] == int(dev_values["logRetentionDays"])
    assert function.inputs["loggingConfig"] == {
        "logGroup": log_group.inputs["name"], "logFormat": "JSON", "applicationLogLevel": "INFO",
        "systemLogLevel": "WARN",
    }


def test_no_reserved_concurrency_unless_configured(
    program_runner: Callable[..., Program], dev_values: dict[str, str]
) -> None:
    """Without reservedConcurrency the function uses the account's shared pool."""
    values = {k: v for k, v in dev_values.items() if k != "reservedConcurrency"}
    function = program_runner(values).one(FUNCTION)
    assert "reservedConcurrentExecutions" not in function.inputs


def test_function_environment_is_the_handler_contract(
    dev_program: Program, dev_values: dict[str, str], tmp_path: Path
) -> None:
    """Exactly the variables the handler reads, with the stack's values."""
    function = dev_program.one(FUNCTION)
    variables = function.inputs["environment"]["variables"]
    config = parse_config(dev_values, stack="dev", region="us-east-1", base_dir=tmp_path)
    assert variables == lambda_environment(config)
    assert variables == {
        "OUTPUT_BUCKET": dev_values["outputBucket"],
        "STUDENTS_TABLE": "smart-classroom-dev-students",
        "ROSTER_URI": f"s3://{dev_values['inputBucket']}-roster/roster.npz",
        "RECOGNITION_MODE": "all",
        "FRAMES_PER_SECOND": "2.0",
        "MATCH_TOLERANCE": "0.55",
        "MIN_FACE_PERCENT": "3.0",
        "FULL_SCAN_SECONDS": "20.0",
        "SEGMENT_SECONDS": "120.0",
        "MAX_VIDEO_MINUTES": "240.0",
        "JOBS_TABLE": dev_program.one(TABLE, "jobs").outputs["name"],
        "SEGMENT_QUEUE": dev_program.one(QUEUE, "segments").outputs["name"],
        "NOTIFY_TOPIC": dev_program.one(TOPIC).outputs["name"],
        "EVIDENCE": "true",
    }
    assert variables["JOBS_TABLE"] == "smart-classroom-dev-jobs"
    assert variables["SEGMENT_QUEUE"] == "smart-classroom-dev-segments"
    assert variables["NOTIFY_TOPIC"] == "smart-classroom-dev-results"


def test_evidence_setting_reaches_the_function(program_runner: Callable[..., Program], dev_values: dict[str, str]) -> None:
    """`pulumi config set evidence false` turns the face crops off in the deployed handler."""
    function = program_runner({**dev_values, "evidence": "false"}).one(FUNCTION)
    assert function.inputs["environment"]["variables"]["EVIDENCE"] == "false"


def test_role_grants_exactly_what_the_handler_needs(dev_program: Program, dev_values: dict[str, str]) -> None:
    """Read videos, write results, read the roster object, look up students, log, dead-letter."""
    input_arn = f"arn:aws:s3:::{dev_values['inputBucket']}"
    output_arn = f"arn:aws:s3:::{dev_values['outputBucket']}"
    roster = dev_program.one("aws:s3/bucketObjectv2:BucketObjectv2")
    table_arn = arn_of(dev_program, "aws:dynamodb/table:Table", "students")
    log_group_arn = dev_program.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    failed_uploads_arn = arn_of(dev_program, QUEUE, "attendance-failed-uploads")
    segment_queue_arn = arn_of(dev_program, QUEUE, "segments")
    jobs_arn = arn_of(dev_program, TABLE, "jobs")
    topic_arn = arn_of(dev_program, TOPIC, "results")

    grants = {
        (action, resource)
        for statement in role_policy(dev_program)["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
        if statement["Effect"] == "Allow"
    }
    assert grants == {
        ("s3:GetObject", f"{input_arn}/*"),
        ("s3:PutObject", f"{output_arn}/*"),
        ("s3:DeleteObject", f"{output_arn}/*"),
        ("s3:GetObject", f"arn:aws:s3:::{roster.inputs['bucket']}/{roster.inputs['key']}"),
        ("dynamodb:BatchGetItem", table_arn),
        ("dynamodb:GetItem", table_arn),
        ("dynamodb:Query", table_arn),
        ("logs:CreateLogStream", f"{log_group_arn}:*"),
        ("logs:PutLogEvents", f"{log_group_arn}:*"),
        *((f"sqs:{action}", failed_uploads_arn)
          for action in ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes")),
        *(
            (f"sqs:{action}", segment_queue_arn)
            for action in ("GetQueueUrl", "SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes",
                           "ChangeMessageVisibility")
        ),
        *(
            (f"dynamodb:{action}", jobs_arn)
            for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchWriteItem")
        ),
        ("sns:Publish", topic_arn),
    }


def test_course_lists_and_results_are_granted_exactly(dev_program: Program) -> None:
    """A course's list is read with one Query on the students table itself (no index ARN, no
    Scan), and the only topic the function may publish to is the stack's own."""
    statements = {st["Sid"]: st for st in role_policy(dev_program)["Statement"]}
    assert statements["ReadCourseLists"] == {
        "Sid": "ReadCourseLists", "Effect": "Allow", "Action": ["dynamodb:Query"],
        "Resource": [arn_of(dev_program, TABLE, "students")],
    }
    assert statements["NotifyResults"] == {
        "Sid": "NotifyResults", "Effect": "Allow", "Action": ["sns:Publish"],
        "Resource": [arn_of(dev_program, TOPIC, "results")],
    }
    everything = [(a, r) for st in statements.values() for a in st["Action"] for r in st["Resource"]]
    assert not [r for _, r in everything if "/index/" in r]
    assert not [a for a, _ in everything if a in ("dynamodb:Scan", "sns:*")]
    assert [r for a, r in everything if a.startswith("sns:")] == [arn_of(dev_program, TOPIC, "results")]


def test_role_has_no_wildcards_and_only_lambda_assumes_it(dev_program: Program) -> None:
    """No `*` in any action or resource name part that would widen the grants; Lambda-only trust."""
    for statement in role_policy(dev_program)["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            assert "*" not in action, action
        for resource in statement["Resource"]:
            assert resource != "*" and not resource.endswith(":::*"), resource
    role = dev_program.one("aws:iam/role:Role")
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert "managedPolicyArns" not in role.inputs
    assert dev_program.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_failed_uploads_come_back_to_the_function_for_their_error_report(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """Bounded retries and event age, then Lambda's record of the failed upload lands in the
    failed-uploads queue, which the function consumes (it writes the upload's error report);
    a record it cannot report goes on to the dead-letter queue. None is dropped silently."""
    function = dev_program.one(FUNCTION)
    failed_uploads = dev_program.one(QUEUE, "attendance-failed-uploads")
    dead_letters = dev_program.one(QUEUE, "attendance-failed")
    config = dev_program.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    assert config.inputs["functionName"] == function.outputs["name"]
    assert config.inputs["maximumRetryAttempts"] == ASYNC_RETRY_ATTEMPTS == 2
    assert 60 <= config.inputs["maximumEventAgeInSeconds"] <= 21600
    assert config.inputs["destinationConfig"]["onFailure"]["destination"] == failed_uploads.outputs["arn"]
    assert failed_uploads.inputs["name"] == "smart-classroom-dev-failed-uploads"
    assert failed_uploads.inputs["visibilityTimeoutSeconds"] == int(dev_values["timeout"]) + SEGMENT_RETRY_SLACK_SECONDS
    assert json.loads(failed_uploads.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"], "maxReceiveCount": 5}
    assert failed_uploads.inputs["sqsManagedSseEnabled"] is True and dead_letters.inputs["sqsManagedSseEnabled"] is True
    assert dead_letters.inputs["messageRetentionSeconds"] == 14 * 24 * 60 * 60
    mapping = dev_program.one(MAPPING, "attendance-failed-uploads")
    assert mapping.inputs["eventSourceArn"] == failed_uploads.outputs["arn"]
    assert mapping.inputs["functionName"] == function.outputs["arn"]
    assert mapping.inputs["batchSize"] == 10
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 2}
    assert dev_program.one("aws:iam/rolePolicy:RolePolicy").urn in mapping.dependencies
    assert dev_program.exports["failedUploadsQueueUrl"] == failed_uploads.outputs["url"]
    assert dev_program.exports["deadLetterQueueUrl"] == dead_letters.outputs["url"]


def test_recursive_loop_detection_terminates(dev_program: Program) -> None:
    """Lambda stops a function that keeps triggering itself (second guard behind the bucket check)."""
    recursion = dev_program.one("aws:lambda/functionRecursionConfig:FunctionRecursionConfig")
    assert recursion.inputs["functionName"] == dev_program.one(FUNCTION).outputs["name"]
    assert recursion.inputs["recursiveLoop"] == "Terminate"


# --- segments ---------------------------------------------------------------------------


def test_jobs_table_keys_ttl_and_encryption(dev_program: Program) -> None:
    """On demand, keyed pk/sk (strings) as the handler writes, TTL on expires_at, encrypted."""
    table = dev_program.one(TABLE, "jobs")
    assert table.inputs["name"] == "smart-classroom-dev-jobs"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == (JOBS_PARTITION_KEY, JOBS_SORT_KEY) == ("pk", "sk")
    assert table.inputs["attributes"] == [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]
    assert table.inputs["ttl"] == {"attributeName": JOBS_EXPIRY_ATTRIBUTE, "enabled": True}
    assert JOBS_EXPIRY_ATTRIBUTE == "expires_at"
    assert table.inputs["serverSideEncryption"]["enabled"] is True
    assert "pointInTimeRecovery" not in table.inputs  # transient items: TTL removes them within days
    assert "readCapacity" not in table.inputs and "writeCapacity" not in table.inputs


def test_segment_queue_outlasts_the_function_and_redrives_to_its_own_queue(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """Visibility = timeout + slack (a killed segment comes back only after Lambda gave up on it);
    after SEGMENT_MAX_RECEIVES receives a message goes to the segment dead-letter queue, kept 14 days."""
    queue = dev_program.one(QUEUE, "segments")
    dead_letters = dev_program.one(QUEUE, "segments-failed")
    timeout = int(dev_values["timeout"])
    assert queue.inputs["name"] == "smart-classroom-dev-segments"
    assert dead_letters.inputs["name"] == "smart-classroom-dev-segments-dlq"
    assert queue.inputs["visibilityTimeoutSeconds"] == timeout + SEGMENT_RETRY_SLACK_SECONDS == 330
    assert segment_queue_attributes(timeout)["visibility_timeout"] == queue.inputs["visibilityTimeoutSeconds"]
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"], "maxReceiveCount": SEGMENT_MAX_RECEIVES,
    }
    assert SEGMENT_MAX_RECEIVES == 5
    assert dead_letters.inputs["messageRetentionSeconds"] == 14 * 24 * 60 * 60
    assert queue.inputs["sqsManagedSseEnabled"] is True and dead_letters.inputs["sqsManagedSseEnabled"] is True
    assert "redrivePolicy" not in dead_letters.inputs


def test_visibility_timeout_follows_the_function_timeout(
    program_runner: Callable[..., Program], dev_values: dict[str, str]
) -> None:
    """Raising timeout raises the queue's visibility timeout with it."""
    program = program_runner({**dev_values, "timeout": "900"})
    assert program.one(QUEUE, "segments").inputs["visibilityTimeoutSeconds"] == 930


def test_the_function_consumes_the_segment_queue_one_segment_at_a_time(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """Batch size 1, per-message failure reports, at most segmentConcurrency at once; created
    only after the role may receive from the queue (Lambda checks it)."""
    mapping = dev_program.one(MAPPING, "segment-consumer")
    assert mapping.inputs["eventSourceArn"] == dev_program.one(QUEUE, "segments").outputs["arn"]
    assert mapping.inputs["functionName"] == dev_program.one(FUNCTION).outputs["arn"]
    assert mapping.inputs["batchSize"] == 1
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": int(dev_values["segmentConcurrency"])}
    assert dev_program.one("aws:iam/rolePolicy:RolePolicy").urn in mapping.dependencies
    assert sorted(m.name for m in dev_program.of_type(MAPPING)) == ["attendance-failed-uploads", "segment-consumer"]


def test_segment_concurrency_defaults_to_50(program_runner: Callable[..., Program], dev_values: dict[str, str]) -> None:
    """Without segmentConcurrency (and without a reservation) the mapping allows 50 segments at once."""
    values = {k: v for k, v in dev_values.items() if k not in ("segmentConcurrency", "reservedConcurrency")}
    mapping = program_runner(values).one(MAPPING, "segment-consumer")
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 50}


# --- trigger ----------------------------------------------------------------------------


def test_only_s3_from_the_input_bucket_in_this_account_may_invoke(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """The permission names S3, our input bucket's ARN and our account."""
    permission = dev_program.one("aws:lambda/permission:Permission")
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["principal"] == "s3.amazonaws.com"
    assert permission.inputs["function"] == dev_program.one(FUNCTION).outputs["name"]
    assert permission.inputs["sourceArn"] == f"arn:aws:s3:::{dev_values['inputBucket']}"
    assert permission.inputs["sourceAccount"] == "123456789012"


def test_notification_invokes_the_function_for_each_video_suffix(
    dev_program: Program, dev_values: dict[str, str]
) -> None:
    """One rule per suffix on the input bucket, pointing at the function, after the permission."""
    notification = dev_program.one("aws:s3/bucketNotification:BucketNotification")
    function = dev_program.one(FUNCTION)
    permission = dev_program.one("aws:lambda/permission:Permission")
    assert notification.inputs["bucket"] == dev_values["inputBucket"]
    rules = notification.inputs["lambdaFunctions"]
    assert [r["filterSuffix"] for r in rules] == list(suffix_filters([".mp4", ".mov", ".avi", ".mkv", ".webm"]))
    assert {".mp4", ".MP4", ".Mov", ".WEBM"} <= {r["filterSuffix"] for r in rules}
    for rule in rules:
        assert rule["lambdaFunctionArn"] == function.outputs["arn"]
        assert rule["events"] == ["s3:ObjectCreated:*"]
    assert permission.urn in notification.dependencies
    assert len(dev_program.of_type("aws:s3/bucketNotification:BucketNotification")) == 1


def test_video_suffixes_follow_config(
    program_runner: Callable[..., Program], dev_values: dict[str, str]
) -> None:
    """A stack that accepts only .mp4 and .MOV gets exactly those two rules."""
    program = program_runner({**dev_values, "videoSuffixes": ".mp4, .MOV"})
    rules = program.one("aws:s3/bucketNotification:BucketNotification").inputs["lambdaFunctions"]
    assert [r["filterSuffix"] for r in rules] == [".mp4", ".mP4", ".Mp4", ".MP4", ".mov", ".moV", ".mOv", ".mOV",
                                                   ".Mov", ".MoV", ".MOv", ".MOV"]


# --- the whole stack --------------------------------------------------------------------


def test_stack_outputs(dev_program: Program, dev_values: dict[str, str]) -> None:
    """Everything a user needs after `pulumi up`, including a command to paste."""
    exports = dev_program.exports
    function = dev_program.one(FUNCTION)
    assert exports["inputBucket"] == dev_values["inputBucket"]
    assert exports["outputBucket"] == dev_values["outputBucket"]
    assert exports["rosterBucket"] == f"{dev_values['inputBucket']}-roster"
    assert exports["studentsTable"] == "smart-classroom-dev-students"
    assert exports["functionName"] == function.outputs["name"] == "smart-classroom-dev"
    assert exports["functionArn"] == function.outputs["arn"]
    assert exports["uploadExample"] == (
        f"aws s3 cp lecture.mp4 s3://{dev_values['inputBucket']}/lecture.mp4 --region us-east-1"
    )
    assert exports["resultsExample"] == (
        f"aws s3 cp s3://{dev_values['outputBucket']}/lecture.csv - --region us-east-1"
    )
    assert set(exports) == {
        "inputBucket", "outputBucket", "rosterBucket", "rosterUri", "studentsTable",
        "functionName", "functionArn", "logGroup", "imageDigest", "deadLetterQueueUrl", "failedUploadsQueueUrl",
        "segmentQueueUrl", "segmentDeadLetterQueueUrl", "jobsTable", "notifyTopicArn",
        "uploadExample", "resultsExample",
    }
    assert exports["notifyTopicArn"] == dev_program.one(TOPIC).outputs["arn"]
    assert exports["segmentQueueUrl"] == dev_program.one(QUEUE, "segments").outputs["url"]
    assert exports["segmentDeadLetterQueueUrl"] == dev_program.one(QUEUE, "segments-failed").outputs["url"]
    assert exports["jobsTable"] == "smart-classroom-dev-jobs"


def test_results_example_reads_where_the_handler_writes(dev_program: Program) -> None:
    """The pasted upload and the pasted read agree with the handler's naming of results."""
    from handler.events import output_key

    uploaded = dev_program.exports["uploadExample"].split()[4].split("/", 3)[3]
    read = dev_program.exports["resultsExample"].split()[3].split("/", 3)[3]
    assert read == output_key(uploaded)


def test_every_cloud_resource_belongs_to_a_component(dev_program: Program) -> None:
    """The graph reads like the diagram: nine components at the top, every resource under one."""
    top = [r for r in dev_program.resources if r.parent.endswith("::pulumi:pulumi:Stack::smart-classroom-dev")]
    assert sorted(r.type for r in top) == sorted(
        [
            "smart-classroom:storage:Storage",
            "smart-classroom:table:StudentsTable",
            "smart-classroom:segments:JobsTable",
            "smart-classroom:notifications:Notifications",
            "smart-classroom:image:HandlerImage",
            "smart-classroom:segments:SegmentQueue",
            "smart-classroom:function:VideoFunction",
            "smart-classroom:segments:SegmentConsumer",
            "smart-classroom:trigger:UploadTrigger",
        ]
    )
    assert all(not r.custom for r in top)


def deployer_policy() -> dict[str, Any]:
    """The IAM policy docs/deploy.md offers the deploying user (the JSON block after its marker)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    after_marker = text.split("<!-- deployer-policy:", 1)[1]
    block = after_marker.split("```json\n", 1)[1].split("\n```", 1)[0]
    return json.loads(block)


# The IAM service prefix of each provider module the program declares resources of.
SERVICE_OF_MODULE = {"s3": "s3", "dynamodb": "dynamodb", "sqs": "sqs", "ecr": "ecr", "lambda": "lambda",
                     "iam": "iam", "cloudwatch": "logs", "sns": "sns"}


def test_deployer_policy_covers_every_service_the_program_uses(dev_program: Program) -> None:
    """A new kind of resource in the program needs its service in the documented deployer policy;
    the function's role is passed to Lambda only, and Lambda may set the repository's policy."""
    statements = deployer_policy()["Statement"]
    actions = {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    modules = {r.type.split(":")[1].split("/")[0] for r in dev_program.resources if r.type.startswith("aws:")}
    assert modules <= set(SERVICE_OF_MODULE), modules - set(SERVICE_OF_MODULE)
    assert {SERVICE_OF_MODULE[m] for m in modules} <= {a.split(":")[0] for a in actions}
    [pass_role] = [st for st in statements if st["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert {"ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy", "ecr:PutImage", "ecr:GetAuthorizationToken",
            "lambda:CreateEventSourceMapping", "s3:*"} <= actions
    assert all(st["Effect"] == "Allow" for st in statements)


def test_no_deprecated_resources_or_properties(dev_program: Program) -> None:
    """The engine logged no warning: nothing the program uses is deprecated in pulumi-aws 7."""
    assert dev_program.warnings == []


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        # Results into the triggering bucket would invoke the function on its own output forever.
        ({"outputBucket": "smart-classroom-dev-input-test"}, "outputBucket", r"^outputBucket: must differ from inputBucket"),
        # A typo (`pulumi config set memorysize ...`) must not be silently ignored.
        ({"memorysize": "4096"}, "memorysize", r"^memorysize: unknown key"),
    ],
)
def test_invalid_config_stops_the_program_before_any_resource(
    program_runner: Callable[..., Program],
    new_program: Callable[[], Program],
    dev_values: dict[str, str],
    override: dict[str, str],
    key: str,
    message: str,
) -> None:
    """`pulumi up` fails on bad config, naming the key, with nothing declared yet."""
    partial = new_program()
    with pytest.raises(ConfigError, match=message) as raised:
        program_runner({**dev_values, **override}, into=partial)
    assert raised.value.key == key
    assert partial.resources == []
