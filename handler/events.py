"""S3 event records → (bucket, decoded key), and where each video's result goes."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

CSV_SUFFIX = ".csv"
ERROR_SUFFIX = ".error.json"
PAGE_SUFFIX = ".html"


@dataclass(frozen=True)
class S3Location:
    """One object in S3."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class BadRecord(ValueError):
    """An event record that names no S3 object (nothing to process, nowhere to report)."""


def parse_s3_uri(uri: str) -> S3Location:
    """`s3://bucket/some/key` → S3Location; anything else is a ValueError."""
    if not uri.startswith("s3://"):
        raise ValueError("expected s3://bucket/key")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ValueError("expected s3://bucket/key")
    return S3Location(bucket, key)


def records(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every record of the event: S3 may batch several uploads into one invocation."""
    found = event.get("Records")
    if not isinstance(found, list):
        raise BadRecord("the event has no Records list: is this an S3 notification?")
    yield from found


def video_location(record: Mapping[str, Any]) -> S3Location:
    """The uploaded object of one record, with its key URL-decoded as S3 sends it encoded."""
    try:
        bucket = record["s3"]["bucket"]["name"]
        raw_key = record["s3"]["object"]["key"]
    except (KeyError, TypeError):
        raise BadRecord("the record has no s3.bucket.name / s3.object.key") from None
    return S3Location(bucket, unquote_plus(raw_key))


@dataclass(frozen=True)
class Upload:
    """One upload as its S3 event record tells it: the object, and where it stands in the
    order of uploads of its key (S3's `sequencer`, comparable after padding)."""

    video: S3Location
    sequencer: str
    event_time: str
    size: int = 0  # as the event says (the object is read for its facts; this names it in a report)
    etag: str = ""

    @property
    def attempt_key(self) -> str:
        """Tells this upload apart from another of the same key, for counting its attempts."""
        return f"{self.sequencer}#{self.event_time}"


def upload(record: Mapping[str, Any]) -> Upload:
    """The Upload of one record (raises BadRecord as video_location does)."""
    video = video_location(record)
    s3_object = record["s3"]["object"]
    if not isinstance(s3_object, Mapping):
        s3_object = {}
    sequencer = str(s3_object.get("sequencer") or "")
    size = s3_object.get("size")
    return Upload(video, sequencer.upper().rjust(SEQUENCER_DIGITS, "0"), str(record.get("eventTime") or ""),
                  size if isinstance(size, int) and size >= 0 else 0, str(s3_object.get("eTag") or ""))


SEQUENCER_DIGITS = 32
"""S3's sequencers are hex strings of varying length, compared after left-padding with zeros."""


def _stem(key: str) -> str:
    """The key without its last extension; dots inside the name are kept."""
    folder, slash, name = key.rpartition("/")
    base, dot, _extension = name.rpartition(".")
    return folder + slash + (base if dot and base else name)


MAX_KEY_BYTES = 1024
"""S3's longest object key (UTF-8 bytes)."""


def _result_key(key: str, suffix: str) -> str:
    """The stem plus `suffix`; a stem too long for S3 is cut (at a character) and marked with a
    hash of the whole key, so two long keys never share a result."""
    whole = _stem(key) + suffix
    if len(whole.encode("utf-8")) <= MAX_KEY_BYTES:
        return whole
    mark = "~" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    room = MAX_KEY_BYTES - len((mark + suffix).encode("utf-8"))
    cut = _stem(key).encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + mark + suffix


def output_key(key: str) -> str:
    """`some/prefix/name.ext` → `some/prefix/name.csv`."""
    return _result_key(key, CSV_SUFFIX)


def error_key(key: str) -> str:
    """`some/prefix/name.ext` → `some/prefix/name.error.json`, beside where the CSV would go."""
    return _result_key(key, ERROR_SUFFIX)


def page_key(key: str) -> str:
    """`some/prefix/name.ext` → `some/prefix/name.html`: the evidence page beside the CSV."""
    return _result_key(key, PAGE_SUFFIX)
