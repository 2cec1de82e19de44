"""The pure pieces: key decoding and naming, closest match and runner-up, settings."""
from __future__ import annotations

import numpy as np
import pytest

from handler.events import BadRecord, error_key, output_key, parse_s3_uri, video_location
from handler.faces.roster import Match, Roster, RosterError
from handler.settings import RecognitionSettings, SettingsError, knobs, load_settings


def record(key: str) -> dict:
    return {"s3": {"bucket": {"name": "in"}, "object": {"key": key}}}


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("my+class%C3%A9.mp4", "my classé.mp4"),
        ("a%2Bb.mp4", "a+b.mp4"),
        ("folder/sub%20dir/x.mov", "folder/sub dir/x.mov"),
        ("plain.mp4", "plain.mp4"),
    ],
)
def test_keys_are_url_decoded(raw: str, decoded: str) -> None:
    assert video_location(record(raw)).key == decoded


def test_record_without_object_is_refused() -> None:
    with pytest.raises(BadRecord, match="s3.object.key"):
        video_location({"s3": {"bucket": {"name": "in"}}})


@pytest.mark.parametrize(
    ("key", "csv", "error"),
    [
        ("some/prefix/name.mp4", "some/prefix/name.csv", "some/prefix/name.error.json"),
        ("2024.05.01.class.v2.mp4", "2024.05.01.class.v2.csv", "2024.05.01.class.v2.error.json"),
        ("noextension", "noextension.csv", "noextension.error.json"),
        (".hidden", ".hidden.csv", ".hidden.error.json"),
        ("dir.with.dots/clip", "dir.with.dots/clip.csv", "dir.with.dots/clip.error.json"),
    ],
)
def test_output_naming_replaces_only_the_last_extension(key: str, csv: str, error: str) -> None:
    assert (output_key(key), error_key(key)) == (csv, error)


def test_s3_uri_parsing() -> None:
    assert parse_s3_uri("s3://bucket/a/b.npz").key == "a/b.npz"
    for bad in ("bucket/key", "s3://bucket", "s3:///key"):
        with pytest.raises(ValueError):
            parse_s3_uri(bad)


def unit(i: int) -> np.ndarray:
    vector = np.zeros(128)
    vector[i] = 1.0
    return vector


def test_closest_match_wins_not_the_first_within_tolerance() -> None:
    roster = Roster(("ann", "bob"), np.stack([unit(0) * 0.5, unit(0) * 0.9]))
    face = unit(0) * 0.8  # 0.3 from ann (first, within 0.6), 0.1 from bob
    [match] = roster.match(face[None, :], tolerance=0.6)
    assert match == Match("bob", pytest.approx(0.1))


def test_several_encodings_per_person_and_unknown_faces() -> None:
    roster = Roster(("ann", "ann", "bob"), np.stack([unit(0), unit(1), unit(2)]))
    faces = np.stack([unit(1) * 0.9, unit(3)])
    ann, nobody = roster.match(faces, tolerance=0.6)
    assert ann is not None and ann.name == "ann" and ann.distance == pytest.approx(0.1)
    assert nobody is None


def test_roster_round_trip_without_pickle(tmp_path) -> None:
    roster = Roster(("ann", "bob"), np.stack([unit(0), unit(1)]))
    roster.save(tmp_path / "r.npz")
    loaded = Roster.load(tmp_path / "r.npz")
    assert loaded.names == ("ann", "bob")
    assert np.array_equal(loaded.encodings, roster.encodings)


def test_roster_with_pickled_objects_is_refused(tmp_path) -> None:
    np.savez(tmp_path / "evil.npz", names=np.array(["ann"], dtype=object), encodings=np.zeros((1, 128)))
    with pytest.raises(RosterError, match="not a roster .npz file"):
        Roster.load(tmp_path / "evil.npz")


def test_roster_shapes_must_agree() -> None:
    with pytest.raises(RosterError, match="2 names but 1 encodings"):
        Roster(("a", "b"), np.zeros((1, 128)))
    with pytest.raises(RosterError, match="N×128"):
        Roster(("a",), np.zeros((1, 64)))


def test_nearest_two_gives_the_runner_up_person_not_the_same_persons_other_photo() -> None:
    roster = Roster(("ann", "ann", "bob", "cid"), np.stack([unit(0), unit(0) * 0.95, unit(1), unit(2)]))
    [nearest] = roster.nearest_two((unit(0) * 0.9)[None, :])
    assert (nearest.name, nearest.second_name) == ("ann", "bob")
    assert nearest.distance == pytest.approx(0.05)
    assert nearest.second_distance == pytest.approx(np.hypot(0.9, 1.0))
    assert nearest.margin == pytest.approx(np.hypot(0.9, 1.0) - 0.05)


def test_nearest_two_with_one_person_has_no_runner_up() -> None:
    [nearest] = Roster(("ann",), unit(0)[None, :]).nearest_two(unit(1)[None, :])
    assert (nearest.name, nearest.second_name, nearest.margin) == ("ann", None, float("inf"))


BASE = {"OUTPUT_BUCKET": "out", "STUDENTS_TABLE": "students", "ROSTER_URI": "s3://r/roster.npz",
        "JOBS_TABLE": "jobs", "SEGMENT_QUEUE": "segments", "NOTIFY_TOPIC": "results"}


def test_settings_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.recognition == RecognitionSettings("all", 2.0, 0.6, 3.0, 20.0, 120.0, 240.0, "true")
    assert (settings.jobs_table, settings.segment_queue) == ("jobs", "segments")
    assert settings.recognition.min_face_px(1080) == pytest.approx(32.4)
    assert (settings.roster.bucket, settings.roster.key) == ("r", "roster.npz")


def test_settings_round_trip_through_the_environment() -> None:
    chosen = RecognitionSettings("first", 0.5, 0.45, 4.5, 30.0, 60.0, 90.0, "false")
    assert load_settings({**BASE, **chosen.environment()}).recognition == chosen
    assert set(chosen.environment()) == {k.env for k in knobs().values()}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"OUTPUT_BUCKET": ""}, "OUTPUT_BUCKET is not set"),
        ({"STUDENTS_TABLE": " "}, "STUDENTS_TABLE is not set"),
        ({"JOBS_TABLE": ""}, "JOBS_TABLE is not set"),
        ({"SEGMENT_QUEUE": ""}, "SEGMENT_QUEUE is not set"),
        ({"SEGMENT_SECONDS": "5"}, "SEGMENT_SECONDS: 5 must be between 10 and 3600"),
        ({"ROSTER_URI": "roster.npz"}, "ROSTER_URI='roster.npz': expected s3://bucket/key"),
        ({"RECOGNITION_MODE": "some"}, "RECOGNITION_MODE: 'some' is not one of all, first"),
        ({"FRAMES_PER_SECOND": "fast"}, "FRAMES_PER_SECOND: 'fast' is not a number"),
        ({"FRAMES_PER_SECOND": "0"}, "FRAMES_PER_SECOND: 0 must be between 0.01 and 120"),
        ({"MATCH_TOLERANCE": "1.5"}, "MATCH_TOLERANCE: 1.5 must be between 0.01 and 1"),
        ({"MIN_FACE_PERCENT": "0.5"}, "MIN_FACE_PERCENT: 0.5 must be between 1 and 50"),
        ({"FULL_SCAN_SECONDS": "nan"}, "FULL_SCAN_SECONDS: nan must be between 1 and 3600"),
    ],
)
def test_invalid_settings_name_the_variable(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_settings({**BASE, **changes})


def test_result_keys_stay_within_s3s_1024_bytes() -> None:
    """A 1024-byte video key (the longest S3 takes) still gets result keys S3 accepts, distinct per video."""
    folder = "ü" * 300 + "/"  # 600 bytes of UTF-8
    a, b = folder + "a" * 419 + ".mp4", folder + "a" * 418 + "b.mp4"
    assert len(a.encode()) == len(b.encode()) == 1024
    for key in (a, b):
        for result in (output_key(key), error_key(key)):
            assert len(result.encode("utf-8")) <= 1024 and result.startswith(folder)
    assert error_key(a).endswith(".error.json") and output_key(a).endswith(".csv")
    assert error_key(a) != error_key(b) and output_key(a) != output_key(b)
    assert error_key("short/name.mp4") == "short/name.error.json"  # unchanged when it fits


@pytest.mark.parametrize(
    ("memory_mb", "frame", "read_at"),
    [
        (3008, (1920, 1080), (1920, 1080)),  # the product's videos: read whole
        (3008, (3840, 2160), (3840, 2160)),  # 4K: 8.3 Mpx x 184 bytes = 1.5 GB, within 2.8 GB spare
        (3008, (7680, 4320), (4944, 2780)),  # 8K: the decoder holds it, processing does not: read smaller
        (1024, (1920, 1080), (1920, 1080)),
        (512, (1920, 1080), (1914, 1076)),  # just short of 1080p: 362 MB spare, 47 MB in the decoder
        (256, (1280, 720), (994, 558)),
    ],
)
def test_frames_are_read_at_the_size_the_memory_can_process(memory_mb: int, frame: tuple[int, int],
                                                            read_at: tuple[int, int]) -> None:
    from handler.video.limits import Limits

    assert Limits(memory_mb, 0.0).read_size(*frame) == read_at


def test_frames_the_decoder_cannot_hold_are_refused_naming_the_setting() -> None:
    """The 16000x16000 upload of the faults issue: 6 GB in the decoder alone, on 3008 MB."""
    from handler.video.limits import Limits, OverLimit

    with pytest.raises(OverLimit, match=r"^its frames are 16000x16000 pixels \(256.0 megapixels\): decoding them alone "
                                        r"needs about 5,859 MB, more than the function's 3008 MB of memory can spare; "
                                        r"upload it at a lower resolution, or raise the stack's memorySize$"):
        Limits(3008, 0.0).read_size(16000, 16000)


def test_a_span_result_keeps_its_warnings_through_storage_and_the_merge_keeps_each_once() -> None:
    from handler.tracks.span_result import SpanResult, merge
    from handler.video.timeline import Span

    warning = "the video's 7680x4320 frames were read at 4944x2780, ..."
    parts = [SpanResult(Span(0.0, 60.0), 0.5, warnings=[warning]), SpanResult(Span(60.0, 120.0), 0.5, warnings=[warning])]
    stored = [SpanResult.from_bytes(part.to_bytes()) for part in parts]
    assert [part.warnings for part in stored] == [[warning], [warning]]
    assert merge(stored).warnings == [warning]
    assert merge([SpanResult(Span(0.0, 60.0), 0.5)]).warnings == []
