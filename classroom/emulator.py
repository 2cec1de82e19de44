"""The embedded AWS emulator: moto in server mode on 127.0.0.1, a real HTTP endpoint.

Both the local stack and the tests use it, so the code under test makes the same boto3
calls it makes against AWS, only with `AWS_ENDPOINT_URL` pointing here.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

# Credentials and region the emulator accepts; never real ones.
EMULATOR_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class Emulator:
    """A running emulator: where it listens and the environment a client needs for it."""

    endpoint_url: str
    region: str = "us-east-1"

    def client_environment(self) -> dict[str, str]:
        """Variables that point boto3 and the AWS CLI at this emulator (and nowhere else)."""
        return {
            **EMULATOR_ENVIRONMENT,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator with its fake credentials (never the user's)."""
        return boto3.session.Session(
            aws_access_key_id=EMULATOR_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=EMULATOR_ENVIRONMENT["AWS_SESSION_TOKEN"],
            region_name=self.region,
        ).client(service, endpoint_url=self.endpoint_url)


@contextmanager
def running_emulator(port: int = 0, region: str = "us-east-1") -> Iterator[Emulator]:
    """Start moto on 127.0.0.1 (a free port when `port` is 0) and stop it on exit."""
    # moto itself reads these when it signs/validates; keep them local to the emulator.
    for name, value in EMULATOR_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        host, bound_port = server.get_host_and_port()
        yield Emulator(endpoint_url=f"http://{host}:{bound_port}", region=region)
    finally:
        server.stop()
