"""The teacher's inbox, locally: the results topic's messages, read from the SQS queue the local
stack subscribes to it (in AWS an e-mail subscription delivers them), shown as they come."""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("classroom.local_stack")


@dataclass(frozen=True)
class Message:
    """One message of the results topic: its subject and its body (the JSON the handler sent)."""

    subject: str
    body: dict[str, Any]


def sns_message(sqs_body: str) -> Message:
    """An SQS message body of an SNS subscription (the SNS envelope) → the Message inside."""
    envelope = json.loads(sqs_body)
    return Message(str(envelope.get("Subject") or ""), json.loads(envelope["Message"]))


def read_messages(sqs: Any, queue_url: str, wait_s: int = 0) -> list[Message]:
    """Every message waiting in the queue, removed from it."""
    found: list[Message] = []
    while True:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s)
        messages = response.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            try:
                found.append(sns_message(message["Body"]))
            except (ValueError, KeyError) as error:
                log.warning("not a message of the results topic: %s", error)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        wait_s = 0


class Inbox(threading.Thread):
    """Reads the queue until stopped; every message is logged and kept in `messages`."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        super().__init__(name="inbox", daemon=True)
        self.sqs, self.queue_url = sqs, queue_url
        self.messages: list[Message] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                for message in read_messages(self.sqs, self.queue_url, wait_s=1):
                    self.messages.append(message)
                    log.info("message  %s", message.subject)
            except Exception as error:  # noqa: BLE001 - the emulator going away on shutdown
                if not self._stop_event.is_set():
                    log.warning("could not read the results topic's queue: %s", error)
                    self._stop_event.wait(1)

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(5)
