"""Reading a video straight from S3 (ranged GETs through moto): the right bytes, few requests,
and never a mix of two uploads."""
from __future__ import annotations

import io

import numpy as np
import pytest
from botocore.exceptions import ClientError

from handler.events import S3Location
from handler.video.s3_video import FIRST_READ_BYTES, READ_AHEAD_BYTES, S3VideoFile
from tests.handler.pipeline import Pipeline

SIZE = 20 << 20


@pytest.fixture
def stored(classroom: Pipeline) -> tuple[Pipeline, bytes]:
    data = np.random.default_rng(5).integers(0, 256, SIZE, dtype=np.uint8).tobytes()
    classroom.upload("big.bin", data)
    return classroom, data


def test_any_read_gives_the_objects_bytes_and_never_more_than_asked(stored: tuple[Pipeline, bytes]) -> None:
    pipeline, data = stored
    file = S3VideoFile.open(pipeline.s3, S3Location(pipeline.input_bucket, "big.bin"))
    assert (file.size, file.facts.size) == (SIZE, SIZE)
    rng = np.random.default_rng(1)
    for _ in range(40):
        start, length = int(rng.integers(0, SIZE)), int(rng.integers(1, 3 << 20))
        file.seek(start)
        chunk = file.read(length)
        assert chunk == data[start:start + length] and len(chunk) <= length
    file.seek(-10, io.SEEK_END)
    assert file.read(100) == data[-10:] and file.read(5) == b""


def test_reading_on_grows_the_requests_and_a_jump_starts_small(stored: tuple[Pipeline, bytes]) -> None:
    pipeline, data = stored
    file = S3VideoFile.open(pipeline.s3, S3Location(pipeline.input_bucket, "big.bin"))
    pieces = []
    while chunk := file.read(32 << 10):  # as the decoder reads: 32 KB at a time
        pieces.append(chunk)
    assert b"".join(pieces) == data
    # 256 KB, 512 KB, 1, 2, 4 MB, then 8 MB runs: 20 MB in 7 requests, not 640.
    assert file.counts.requests == 7 and file.counts.bytes == SIZE
    file.seek(SIZE // 2)
    file.read(10)
    assert file.counts.bytes == SIZE + FIRST_READ_BYTES and READ_AHEAD_BYTES == 8 << 20


def test_an_object_replaced_while_it_is_read_is_refused(stored: tuple[Pipeline, bytes]) -> None:
    pipeline, data = stored
    file = S3VideoFile.open(pipeline.s3, S3Location(pipeline.input_bucket, "big.bin"))
    file.read(10)
    pipeline.upload("big.bin", b"another upload of the same key")
    file.seek(SIZE - 100)
    with pytest.raises(ClientError) as refused:
        file.read(10)
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
