"""Sampling by timestamps: every instant gets its frame, whatever the stream's own rate."""
from __future__ import annotations

from pathlib import Path

import av
import pytest

from classroom.scene import encode_h264
from handler.video.frames import DecodeStats, sample_frames


def clip_frames(datasets: Path) -> list:
    with av.open(str(datasets / "classroom/videos/test_8.mp4")) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


@pytest.mark.parametrize(("stream_fps", "expected_decoded"), [(2, 20), (30, None)])
def test_every_sampled_instant_gets_a_frame(datasets: Path, tmp_path: Path, stream_fps: int,
                                            expected_decoded: int | None) -> None:
    """A 2 frames/s camera sampled at 2/s needs all its frames (none may be skipped as
    unreferenced); a 30 frames/s one has frames to spare, and only about half are decoded."""
    frames = clip_frames(datasets)
    seconds = 10
    video = encode_h264(tmp_path / f"{stream_fps}fps.mp4",
                        (frames[i % len(frames)] for i in range(seconds * stream_fps)), fps=stream_fps)
    stats = DecodeStats()
    times = [frame.seconds for frame in sample_frames(video, 2.0, stats)]
    assert len(times) == seconds * 2
    if expected_decoded is not None:  # every frame decoded, each instant its own frame
        assert stats.frames_decoded == expected_decoded
        assert all(abs(t - k * 0.5) < 1e-3 for k, t in enumerate(times))
    else:  # unreferenced frames skipped: an instant may take a frame up to 3 frames later
        assert stats.frames_decoded < seconds * stream_fps * 0.75
        assert all(0 <= t - k * 0.5 < 4 / stream_fps for k, t in enumerate(times))
