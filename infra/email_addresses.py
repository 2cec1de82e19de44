"""E-mail addresses for SNS `email` subscriptions, checked before `pulumi up` subscribes them.

SNS accepts almost any string as an `email` endpoint and reports nothing: a typo would only
show up as a teacher who never gets the confirmation e-mail. So each address must at least
look like one (a local part, `@`, a domain with a dot, no spaces) and be listed once.
"""
from __future__ import annotations

import re

from infra.errors import ConfigError

_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
MAX_ADDRESS_LENGTH = 254
"""The longest address SMTP can deliver to (RFC 5321's path limit less its angle brackets)."""


def email_addresses(key: str, value: str) -> tuple[str, ...]:
    """`a@school.edu, b@school.edu` → ('a@school.edu', 'b@school.edu'); empty means none.
    Duplicates are compared without case (mail systems treat them as one mailbox)."""
    if not value.strip():
        return ()
    addresses = tuple(part.strip() for part in value.split(","))
    seen: set[str] = set()
    for address in addresses:
        if not address:
            raise ConfigError(key, f"{value!r} has an empty entry; separate addresses with single commas")
        if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(address):
            raise ConfigError(key, f"{address!r} is not an e-mail address such as teacher@school.edu")
        if address.lower() in seen:
            raise ConfigError(key, f"{address!r} is listed twice")
        seen.add(address.lower())
    return addresses
