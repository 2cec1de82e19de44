"""The jobs table (DynamoDB): a long video's segments, their partial results, a merge that
happens once, and the newest upload of each key. The thin AWS edge of the fan-out.

Every write is idempotent or conditional, so a retried or duplicated segment message never
counts twice: a finished segment is a set member (ADD of its index) beside an item holding its
partial result (a Put of the same bytes); the merge is claimed by one message (conditional
update, reclaimable by the same message after a crash); a job that failed or merged accepts
nothing more. Items expire by TTL (handler.segments.segment_contract.JOBS_EXPIRY_ATTRIBUTE).
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from handler.events import S3Location
from handler.segments.segment_contract import JOBS_EXPIRY_ATTRIBUTE, JOBS_PARTITION_KEY, JOBS_SORT_KEY

PIECE_BYTES = 300 << 10
"""A partial result is stored in items of at most this many bytes (DynamoDB's limit is 400 KB an item)."""
KEEP_SECONDS = 3 * 24 * 3600
"""A job's items outlive any retry (SQS keeps a message 4 days at most; a job finishes in minutes)."""
SEND_LEASE_SECONDS = 60
"""A planner sends a job's messages within seconds; one that has not after this has stopped."""
MERGE_LEASE_SECONDS = 15 * 60
"""A merge claimed this long ago by a message that never finished may be claimed by another."""
RUNNING, MERGING, MERGED, FAILED = "running", "merging", "merged", "failed"


@dataclass(frozen=True)
class Job:
    """One upload of a long video, split into `segments` spans."""

    video: S3Location
    etag: str
    size: int
    version: str | None
    sequencer: str  # the upload's, padded (handler.events.Upload)
    segments: int

    @property
    def id(self) -> str:
        text = "\0".join((self.video.bucket, self.video.key, self.etag, self.sequencer))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.video.bucket, "key": self.video.key, "etag": self.etag, "size": self.size,
                "version": self.version, "sequencer": self.sequencer, "segments": self.segments}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(S3Location(str(data["bucket"]), str(data["key"])), str(data["etag"]), int(data["size"]),
                   data.get("version"), str(data["sequencer"]), int(data["segments"]))


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class Jobs:
    """The jobs table, through one DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb, self.table = dynamodb, table

    def _update_if(self, **arguments: Any) -> dict[str, Any] | None:
        """An UpdateItem with a condition: its response, or None when the condition failed."""
        try:
            return self.dynamodb.update_item(TableName=self.table, **arguments)
        except ClientError as error:
            if _conditional_failed(error):
                return None
            raise

    # -- keys
    @staticmethod
    def _key(partition: str, sort: str) -> dict[str, dict[str, str]]:
        return {JOBS_PARTITION_KEY: {"S": partition}, JOBS_SORT_KEY: {"S": sort}}

    @staticmethod
    def _expiry() -> dict[str, str]:
        return {"N": str(int(time.time()) + KEEP_SECONDS)}

    def _job_key(self, job_id: str) -> dict[str, dict[str, str]]:
        return self._key(f"job#{job_id}", "job")

    def _video_key(self, video: S3Location, sort: str) -> dict[str, dict[str, str]]:
        return self._key(f"video#{video.bucket}/{video.key}", sort)

    # -- the newest upload of a key
    def register_upload(self, video: S3Location, sequencer: str) -> bool:
        """Record this upload as the key's newest; False when a newer one is already recorded
        (this one's result would be stale: it is not produced at all)."""
        return self._update_if(
            Key=self._video_key(video, "latest"),
            UpdateExpression="SET sequencer = :mine, #x = :x",
            ConditionExpression="attribute_not_exists(sequencer) OR sequencer <= :mine",
            ExpressionAttributeNames={"#x": JOBS_EXPIRY_ATTRIBUTE},
            ExpressionAttributeValues={":mine": {"S": sequencer}, ":x": self._expiry()},
        ) is not None

    def is_newest(self, video: S3Location, sequencer: str) -> bool:
        """Whether no newer upload of the key has been recorded since (checked before publishing)."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._video_key(video, "latest"),
                                      ConsistentRead=True).get("Item")
        return item is None or item["sequencer"]["S"] <= sequencer

    def count_attempt(self, video: S3Location, upload: str) -> int:
        """How many times this upload (`upload` tells it apart) has been tried, this one included."""
        response = self.dynamodb.update_item(
            TableName=self.table, Key=self._video_key(video, f"attempts#{upload}"),
            UpdateExpression="ADD attempts :one SET #x = :x",
            ExpressionAttributeNames={"#x": JOBS_EXPIRY_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":x": self._expiry()},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["attempts"]["N"])

    def mark_handled(self, video: S3Location, upload: str) -> None:
        """Record that this upload has its outcome (a result, its segments sent, or superseded),
        so Lambda's record of a later failed try (handler.intake.failed_invocations) reports nothing."""
        self.dynamodb.update_item(
            TableName=self.table, Key=self._video_key(video, f"attempts#{upload}"),
            UpdateExpression="SET handled = :yes, #x = :x",
            ExpressionAttributeNames={"#x": JOBS_EXPIRY_ATTRIBUTE},
            ExpressionAttributeValues={":yes": {"BOOL": True}, ":x": self._expiry()},
        )

    def was_handled(self, video: S3Location, upload: str) -> bool:
        """Whether mark_handled was called for this upload."""
        item = self.dynamodb.get_item(TableName=self.table, Key=self._video_key(video, f"attempts#{upload}"),
                                      ConsistentRead=True).get("Item") or {}
        return bool(item.get("handled", {}).get("BOOL"))

    # -- a split video
    def start(self, job: Job) -> bool:
        """Create the job once; True when its segment messages are this caller's to send: it made
        the job, or the planner that made it stopped over SEND_LEASE_SECONDS ago without having
        sent them all. A duplicated upload event (S3 delivers at least once) sends nothing."""
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={**self._job_key(job.id), "status": {"S": RUNNING}, "segments": {"N": str(job.segments)},
                      "created": {"N": str(int(time.time()))}, JOBS_EXPIRY_ATTRIBUTE: self._expiry()},
                ConditionExpression=f"attribute_not_exists({JOBS_PARTITION_KEY})",
            )
            return True
        except ClientError as error:
            if not _conditional_failed(error):
                raise
        item = self.dynamodb.get_item(TableName=self.table, Key=self._job_key(job.id), ConsistentRead=True)["Item"]
        abandoned = int(item["created"]["N"]) < time.time() - SEND_LEASE_SECONDS
        return item["status"]["S"] == RUNNING and "sent" not in item and abandoned

    def mark_sent(self, job_id: str) -> None:
        """Every segment message of the job is in the queue."""
        self.dynamodb.update_item(TableName=self.table, Key=self._job_key(job_id), UpdateExpression="SET sent = :yes",
                                  ExpressionAttributeValues={":yes": {"BOOL": True}})

    def status(self, job_id: str) -> str | None:
        item = self.dynamodb.get_item(TableName=self.table, Key=self._job_key(job_id), ConsistentRead=True).get("Item")
        return None if item is None else item["status"]["S"]

    def save_segment(self, job_id: str, index: int, partial: bytes) -> bool | None:
        """Store a segment's partial result and count it done: True when it was the last one
        missing, False when others are, None when the job no longer runs (merged or failed).

        A partial result larger than one item may hold (a class of 100 brings ~350 KB of face
        crops) is stored in pieces, `segment#00012#00`, `#01`, ..., joined again by `partials`."""
        pieces = [partial[start:start + PIECE_BYTES] for start in range(0, len(partial), PIECE_BYTES)] or [b""]
        for number, piece in enumerate(pieces):
            self.dynamodb.put_item(
                TableName=self.table,
                Item={**self._key(f"job#{job_id}", f"segment#{index:05d}#{number:02d}"), "span_result": {"B": piece},
                      "pieces": {"N": str(len(pieces))}, JOBS_EXPIRY_ATTRIBUTE: self._expiry()},
            )
        response = self._update_if(
            Key=self._job_key(job_id),
            UpdateExpression="ADD done :index",
            ConditionExpression="#s = :running",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":index": {"NS": [str(index)]}, ":running": {"S": RUNNING}},
            ReturnValues="ALL_NEW",
        )
        if response is None:
            return None
        item = response["Attributes"]
        return len(item.get("done", {}).get("NS", [])) >= int(item["segments"]["N"])

    def note_failure(self, job_id: str, index: int, reason: str) -> None:
        """Keep a failed attempt's reason, for the report if the segment never succeeds."""
        self.dynamodb.put_item(
            TableName=self.table,
            Item={**self._key(f"job#{job_id}", f"failure#{index:05d}"), "reason": {"S": reason[:500]},
                  JOBS_EXPIRY_ATTRIBUTE: self._expiry()},
        )

    def last_failure(self, job_id: str, index: int) -> str | None:
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(f"job#{job_id}", f"failure#{index:05d}"),
                                      ConsistentRead=True).get("Item")
        return None if item is None else item["reason"]["S"]

    def claim_merge(self, job_id: str, claimer: str) -> bool:
        """The one right to merge: the first claimer wins; the same claimer (its message retried
        after a crash) or anyone after MERGE_LEASE_SECONDS may take it again."""
        now = int(time.time())
        return self._update_if(
            Key=self._job_key(job_id),
            UpdateExpression="SET #s = :merging, merger = :me, claimed = :now",
            ConditionExpression="#s = :running OR (#s = :merging AND (merger = :me OR claimed < :stale))",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":merging": {"S": MERGING}, ":running": {"S": RUNNING}, ":me": {"S": claimer},
                                       ":now": {"N": str(now)}, ":stale": {"N": str(now - MERGE_LEASE_SECONDS)}},
        ) is not None

    def partials(self, job_id: str) -> list[bytes]:
        """Every stored partial result of the job, its pieces joined in order."""
        joined: dict[str, list[bytes]] = {}
        for item in self._segment_items(job_id, f"{JOBS_SORT_KEY}, span_result"):
            segment = item[JOBS_SORT_KEY]["S"].rsplit("#", 1)[0]
            joined.setdefault(segment, []).append(item["span_result"]["B"])  # a Query returns them sorted by key
        return [b"".join(pieces) for _segment, pieces in sorted(joined.items())]

    def fail(self, job_id: str) -> bool:
        """Mark the job failed; True for the one caller that did (it writes the error report)."""
        return self._update_if(
            Key=self._job_key(job_id),
            UpdateExpression="SET #s = :failed",
            ConditionExpression="#s = :running",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":failed": {"S": FAILED}, ":running": {"S": RUNNING}},
        ) is not None

    def finish(self, job_id: str, status: str) -> None:
        """Set the job's final status and remove its partial results."""
        self.dynamodb.update_item(
            TableName=self.table, Key=self._job_key(job_id), UpdateExpression="SET #s = :status",
            ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":status": {"S": status}},
        )
        self.remove_partials(job_id)

    def remove_partials(self, job_id: str) -> None:
        keys = [{JOBS_PARTITION_KEY: item[JOBS_PARTITION_KEY], JOBS_SORT_KEY: item[JOBS_SORT_KEY]}
                for item in self._segment_items(job_id, f"{JOBS_PARTITION_KEY}, {JOBS_SORT_KEY}")]
        for start in range(0, len(keys), 25):
            requests = {self.table: [{"DeleteRequest": {"Key": key}} for key in keys[start:start + 25]]}
            for _ in range(5):
                unprocessed = self.dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
                if not unprocessed:
                    break
                requests = unprocessed
                time.sleep(0.2)

    def _segment_items(self, job_id: str, projection: str) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self.table, "ConsistentRead": True, "ProjectionExpression": projection,
            "KeyConditionExpression": "#p = :job AND begins_with(#s, :segment)",
            "ExpressionAttributeNames": {"#p": JOBS_PARTITION_KEY, "#s": JOBS_SORT_KEY},
            "ExpressionAttributeValues": {":job": {"S": f"job#{job_id}"}, ":segment": {"S": "segment#"}},
        }
        while True:
            page = self.dynamodb.query(**arguments)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
