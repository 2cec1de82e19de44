"""Table: the students DynamoDB table, seeded from the students file as declared items: one per
student and one per course (the course's list, which the handler reads with one Query)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.contract import STUDENTS_KEY, STUDENTS_KEY_TYPE, course_items, student_item


@dataclass(frozen=True)
class TableArgs:
    """Table name, the validated student records and whether the table may be deleted."""

    table_name: str
    students: list[dict[str, Any]]
    force_destroy: bool


class StudentsTable(pulumi.ComponentResource):
    """On-demand table keyed by student name, encrypted, with point-in-time recovery.

    Each student and each course is an `aws.dynamodb.TableItem`, so the seed data is part of
    the plan (`pulumi preview` shows added, changed and removed students, and each course whose
    list changed) and nothing writes to the table from program code.
    """

    table: aws.dynamodb.Table

    def __init__(self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:table:StudentsTable", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.table = aws.dynamodb.Table(
            name,
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=STUDENTS_KEY,
            attributes=[aws.dynamodb.TableAttributeArgs(name=STUDENTS_KEY, type=STUDENTS_KEY_TYPE)],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            # Outside dev, `pulumi destroy` must not be able to drop the roll.
            deletion_protection_enabled=not args.force_destroy,
            opts=child,
        )
        # Named after the item's key (unique, validated), so an item's identity in the plan is
        # the same as in the table; the two prefixes keep a course's resource name apart from any
        # student's, whatever the names (course ids and student names may coincide).
        items = [(f"student-{record['name']}", student_item(record)) for record in args.students]
        items += [(f"course-{item['course']['S']}", item) for item in course_items(args.students)]
        for resource_name, item in items:
            aws.dynamodb.TableItem(
                resource_name,
                table_name=self.table.name,
                hash_key=self.table.hash_key,
                item=json.dumps(item),
                opts=child,
            )
        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})
