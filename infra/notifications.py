"""Notifications: the SNS topic that gets one message per result, and its e-mail subscribers.

The handler publishes a message for every CSV or error report it writes (handler side:
NOTIFY_TOPIC, the topic's name; it builds the ARN from its own region and account), so a
teacher learns that attendance is ready without watching the bucket. Messages name students
(the absent list), so the topic is encrypted at rest with the AWS-managed key for SNS: its
key policy lets any principal of the account use it through SNS, which is why the function's
role needs `sns:Publish` and no KMS permission (a customer-managed key would need both).
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SNS_MANAGED_KEY = "alias/aws/sns"
"""The AWS-managed KMS key for SNS (one per account and region, created by AWS on first use)."""

EMAIL_PROTOCOL = "email"
"""Plain-text e-mail: the message body as the handler wrote it."""


@dataclass(frozen=True)
class NotificationsArgs:
    """The topic's name (infra.contract.notify_topic_name) and the addresses to subscribe."""

    topic_name: str
    emails: tuple[str, ...]


class Notifications(pulumi.ComponentResource):
    """The encrypted results topic, with one `email` subscription per configured address.

    SNS mails each address a confirmation link first; nothing is delivered to an address
    until it is clicked. An unconfirmed subscription cannot be deleted through the API: taking
    its address out of `notifyEmails` drops it from the stack, and SNS removes it 48 hours after
    it was made (or with the topic).
    """

    topic: aws.sns.Topic
    subscriptions: list[aws.sns.TopicSubscription]

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:notifications:Notifications", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            name, name=args.topic_name, kms_master_key_id=SNS_MANAGED_KEY, opts=child
        )
        # Named after the address, so reordering `notifyEmails` changes nothing in the plan.
        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-{address}",
                topic=self.topic.arn,
                protocol=EMAIL_PROTOCOL,
                endpoint=address,
                opts=child,
            )
            for address in args.emails
        ]
        self.register_outputs({"topic_arn": self.topic.arn})
