"""Face crops from the shared data sets' real photos, once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.page.crops import face_crops


@pytest.fixture(scope="session")
def crops(datasets: Path) -> list[bytes]:
    """36 distinct JPEG face crops, 96 px high, ~3.5 KB each."""
    return face_crops(datasets)
