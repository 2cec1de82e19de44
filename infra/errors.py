"""The one error a stack configuration can have: a key and what is wrong with its value."""
from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message starts with its key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
