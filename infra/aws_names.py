"""AWS's naming rules for what the stack creates by name: S3 buckets, DynamoDB tables."""
from __future__ import annotations

import ipaddress
import re

from infra.errors import ConfigError

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def bucket_name(key: str, name: str) -> str:
    """Check S3's naming rules for general purpose buckets."""
    problem = None
    if not 3 <= len(name) <= 63:
        problem = "must be 3 to 63 characters long"
    elif not _BUCKET_NAME.match(name):
        problem = "may hold only lowercase letters, digits, '.' and '-', and must start and end with a letter or digit"
    elif ".." in name or ".-" in name or "-." in name:
        problem = "must not have '..', '.-' or '-.'"
    elif _is_ip_address(name):
        problem = "must not look like an IP address"
    elif name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix S3 reserves"
    if problem:
        raise ConfigError(key, f"{name!r} is not a valid S3 bucket name: {problem}")
    return name


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def table_name(key: str, name: str) -> str:
    """Check DynamoDB's naming rules for tables."""
    if not _TABLE_NAME.match(name):
        raise ConfigError(key, f"{name!r} is not a valid DynamoDB table name (3-255 characters: letters, digits, '_', '-', '.')")
    return name
