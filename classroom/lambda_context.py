"""The Lambda context object, as the local invoker and the tests hand it to the handler."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from infra.contract import log_group_name

LOCAL_ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The parts of the Lambda context object a handler uses, with a real deadline."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int
    deadline_epoch_s: float
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invoker kills this invocation."""
        return max(0, int((self.deadline_epoch_s - time.time()) * 1000))

    @classmethod
    def starting_now(cls, function_name: str, timeout_s: float, memory_mb: int = 3008, region: str = "us-east-1",
                     request_id: str | None = None) -> LambdaContext:
        """The context of an invocation that starts now and may run `timeout_s` seconds."""
        return cls(
            function_name=function_name,
            aws_request_id=request_id or str(uuid.uuid4()),
            memory_limit_in_mb=memory_mb,
            deadline_epoch_s=time.time() + timeout_s,
            invoked_function_arn=f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{function_name}",
            log_group_name=log_group_name(function_name),
        )
