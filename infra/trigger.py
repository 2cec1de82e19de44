"""Trigger: S3 invokes the function when a video lands in the input bucket."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.contract import UPLOAD_EVENTS, suffix_filters


@dataclass(frozen=True)
class TriggerArgs:
    """The bucket that triggers, the function it triggers and which keys count as videos."""

    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    function_name: pulumi.Input[str]
    function_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    video_suffixes: tuple[str, ...]


class UploadTrigger(pulumi.ComponentResource):
    """Lambda permission for S3 (this bucket, this account only) and the notification."""

    permission: aws.lambda_.Permission
    notification: aws.s3.BucketNotification

    def __init__(self, name: str, args: TriggerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:trigger:UploadTrigger", name, None, opts)
        self.permission = aws.lambda_.Permission(
            f"{name}-allow-s3",
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal="s3.amazonaws.com",
            source_arn=args.bucket_arn,
            # Bucket ARNs carry no account; this stops a bucket of the same name in another
            # account (after ours is deleted) from invoking the function.
            source_account=args.account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 checks that it may invoke the function when the notification is saved.
        self.notification = aws.s3.BucketNotification(
            name,
            bucket=args.bucket_id,
            lambda_functions=[
                aws.s3.BucketNotificationLambdaFunctionArgs(
                    lambda_function_arn=args.function_arn,
                    events=list(UPLOAD_EVENTS),
                    filter_suffix=suffix,
                )
                for suffix in suffix_filters(args.video_suffixes)
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.permission]),
        )
        self.register_outputs({"notification": self.notification.id})
