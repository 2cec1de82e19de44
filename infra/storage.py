"""Storage: the input, output and roster buckets, all private and encrypted, and the roster.

Every bucket gets the same guard rails: Block Public Access on all four settings, object
ownership enforced for the bucket owner (ACLs disabled), SSE-S3 default encryption, a
bucket policy that refuses any request not made over TLS, and a lifecycle configuration
that aborts multipart uploads left incomplete (their parts are billed but invisible). Videos,
and optionally results, also expire after a configured number of days.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.contract import PUBLIC_ACCESS_BLOCK

ABORT_INCOMPLETE_UPLOADS_DAYS = 1
"""An upload still incomplete a day after it started has failed: its parts are deleted."""


@dataclass(frozen=True)
class StorageArgs:
    """Bucket names and the roster file to upload."""

    input_bucket: str
    output_bucket: str
    roster_bucket: str
    roster_file: Path
    roster_key: str
    force_destroy: bool
    video_retention_days: int  # input bucket; 0 = keep
    result_retention_days: int  # output bucket; 0 = keep


def lifecycle_rules(expire_after_days: int) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Abort incomplete multipart uploads after a day; expire objects after `expire_after_days`
    (no expiry when 0). Each rule applies to the whole bucket (an empty filter)."""
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
            ),
        )
    ]
    if expire_after_days:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=f"expire-after-{expire_after_days}-days",
                status="Enabled",
                filter=everything,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_after_days),
            )
        )
    return rules


class PrivateBucket(pulumi.ComponentResource):
    """One S3 bucket with public access blocked, ACLs disabled, SSE-S3, TLS-only access and
    lifecycle rules (incomplete uploads aborted; objects expired after `expire_after_days`, if set)."""

    bucket: aws.s3.Bucket

    def __init__(
        self,
        name: str,
        bucket_name: str,
        force_destroy: bool,
        opts: pulumi.ResourceOptions | None = None,
        expire_after_days: int = 0,
    ) -> None:
        super().__init__("smart-classroom:storage:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name, bucket=bucket_name, force_destroy=force_destroy, opts=child
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            **{setting: True for setting in PUBLIC_ACCESS_BLOCK},
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        sse_s3 = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=sse_s3
                )
            ],
            opts=child,
        )
        # S3 rejects concurrent configuration changes to one bucket now and then
        # ("A conflicting conditional operation is in progress"): put the policy last.
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(deny_insecure_transport),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=lifecycle_rules(expire_after_days),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[encryption]),
        )
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn})


def deny_insecure_transport(bucket_arn: str) -> str:
    """A bucket policy denying every request made without TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class Storage(pulumi.ComponentResource):
    """The three buckets of the pipeline and the roster object."""

    input: aws.s3.Bucket
    output: aws.s3.Bucket
    roster: aws.s3.Bucket
    roster_object: aws.s3.BucketObjectv2

    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("smart-classroom:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.input = PrivateBucket(
            "input", args.input_bucket, args.force_destroy, child, expire_after_days=args.video_retention_days
        ).bucket
        self.output = PrivateBucket(
            "output", args.output_bucket, args.force_destroy, child, expire_after_days=args.result_retention_days
        ).bucket
        self.roster = PrivateBucket("roster", args.roster_bucket, args.force_destroy, child).bucket
        self.roster_object = aws.s3.BucketObjectv2(
            "roster",
            bucket=self.roster.id,
            key=args.roster_key,
            source=pulumi.FileAsset(str(args.roster_file)),
            content_type="application/octet-stream",
            opts=child,
        )
        self.register_outputs(
            {
                "input_bucket": self.input.id,
                "output_bucket": self.output.id,
                "roster_bucket": self.roster.id,
                "roster_key": self.roster_object.key,
            }
        )
