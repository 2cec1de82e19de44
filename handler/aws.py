"""The AWS clients (one each per warm container) and the reads every path of the handler
shares: the roster (cached by ETag) and the jobs table."""
from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.exceptions import ClientError

from handler.faces.roster import Roster, RosterCache, RosterError
from handler.failures import DENIED_CODES, MISSING_CODES, RosterUnavailable, error_code
from handler.segments.jobs import Jobs
from handler.settings import Settings

roster_cache = RosterCache()


@functools.cache
def s3() -> Any:
    return boto3.client("s3")  # honours AWS_ENDPOINT_URL, so the emulator works unchanged


@functools.cache
def dynamodb() -> Any:
    return boto3.client("dynamodb")


@functools.cache
def sqs() -> Any:
    return boto3.client("sqs")


@functools.cache
def sns() -> Any:
    return boto3.client("sns")


def jobs(settings: Settings) -> Jobs:
    return Jobs(dynamodb(), settings.jobs_table)


def load_roster(settings: Settings) -> Roster:
    """The deployment's roster; RosterUnavailable (retried, then reported) when it cannot be read."""
    roster = settings.roster
    try:
        return roster_cache.get(s3(), roster.bucket, roster.key)
    except ClientError as error:
        code = error_code(error)
        if code in MISSING_CODES:
            raise RosterUnavailable(
                f"the roster {roster.uri} does not exist; upload one built with `python -m classroom roster build`"
            ) from None
        if code in DENIED_CODES:  # what S3 answers for a missing key without s3:ListBucket
            raise RosterUnavailable(f"the roster {roster.uri} cannot be read (missing, or the function may not read it)") from None
        raise
    except RosterError as error:
        raise RosterUnavailable(f"the roster {roster.uri} is not a valid roster file: {error}") from None
