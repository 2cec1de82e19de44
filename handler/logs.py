"""One JSON line per video on stdout, which Lambda sends to CloudWatch Logs as it is."""
from __future__ import annotations

import json
import sys
from typing import Any


def log_json(level: str, message: str, **fields: Any) -> None:
    """Write one structured log line (searchable with CloudWatch Logs Insights)."""
    line = {"level": level, "message": message, **fields}
    sys.stdout.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
