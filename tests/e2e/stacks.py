"""A local stack whose workers run a handler module the test wrote: the real handler wrapped
with an injected fault, or a stub. Spawned workers start with the parent's sys.path and
environment, so the module's folder and the variables it reads are set before they start."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from classroom.local_stack import LocalStack
from infra.config import StackConfig


@contextmanager
def stack_running(config: StackConfig, module: str, source: str, folder: Path,
                  environment: Mapping[str, str] | None = None, **start: Any) -> Iterator[LocalStack]:
    """The local stack with `module.handler` (its code `source`, written into `folder`) in its workers."""
    (folder / f"{module}.py").write_text(source)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        for name, value in (environment or {}).items():
            patch.setenv(name, value)
        with LocalStack.start(config, handler_path=f"{module}.handler", **start) as running:
            yield running
