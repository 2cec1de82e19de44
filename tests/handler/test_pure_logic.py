"""The pure pieces: key decoding and naming, frame sampling arithmetic, closest match, settings."""
from __future__ import annotations

import numpy as np
import pytest

from handler.events import BadRecord, error_key, output_key, parse_s3_uri, video_location
from handler.recognition import RECHECK_UNKNOWN, Track, follow, overlap
from handler.roster import Match, Roster, RosterError
from handler.settings import SettingsError, load_settings
from handler.video import is_sample, usable_fps


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


@pytest.mark.parametrize(
    ("fps", "rate", "frames", "expected"),
    [
        (30, 2, 90, [0, 15, 30, 45, 60, 75]),
        (29.97, 2, 90, [0, 15, 30, 45, 60, 75]),
        (23.976, 3, 30, [0, 8, 16, 24]),
        (60, 1, 180, [0, 60, 120]),
        (10, 30, 5, [0, 1, 2, 3, 4]),  # asking for more than there is: every frame, once
    ],
)
def test_frame_sampling(fps: float, rate: float, frames: int, expected: list[int]) -> None:
    assert [i for i in range(frames) if is_sample(i, fps, rate)] == expected


@pytest.mark.parametrize("reported", [0.0, float("nan"), -5.0, 90000.0])
def test_absurd_frame_rates_fall_back(reported: float) -> None:
    assert usable_fps(reported) == 30.0


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


def test_a_face_in_the_same_place_keeps_its_identity() -> None:
    ann = Track((100, 200, 200, 100), Match("ann", 0.3), encoded_at=0)
    assert overlap((100, 200, 200, 100), (110, 210, 210, 110)) == pytest.approx(8100 / 11900)
    assert follow((110, 210, 210, 110), [ann], sample=9) == ann  # recognised: followed for good
    assert follow((100, 500, 200, 400), [ann], sample=1) is None  # elsewhere: a new face


def test_an_unknown_face_is_checked_again_after_a_while() -> None:
    stranger = Track((100, 200, 200, 100), None, encoded_at=2)
    assert follow((100, 200, 200, 100), [stranger], sample=2 + RECHECK_UNKNOWN - 1) == stranger
    assert follow((100, 200, 200, 100), [stranger], sample=2 + RECHECK_UNKNOWN) is None


BASE = {"OUTPUT_BUCKET": "out", "STUDENTS_TABLE": "students", "ROSTER_URI": "s3://r/roster.npz"}


def test_settings_defaults() -> None:
    settings = load_settings(BASE)
    assert (settings.mode, settings.frames_per_second, settings.match_tolerance) == ("all", 2.0, 0.6)
    assert (settings.roster.bucket, settings.roster.key) == ("r", "roster.npz")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"OUTPUT_BUCKET": ""}, "OUTPUT_BUCKET is not set"),
        ({"STUDENTS_TABLE": " "}, "STUDENTS_TABLE is not set"),
        ({"ROSTER_URI": "roster.npz"}, "ROSTER_URI='roster.npz': expected s3://bucket/key"),
        ({"RECOGNITION_MODE": "some"}, "RECOGNITION_MODE='some' must be one of: all, first"),
        ({"FRAMES_PER_SECOND": "fast"}, "FRAMES_PER_SECOND='fast' is not a number"),
        ({"FRAMES_PER_SECOND": "0"}, "FRAMES_PER_SECOND='0' must be between"),
        ({"MATCH_TOLERANCE": "1.5"}, "MATCH_TOLERANCE='1.5' must be between 0.01 and 1"),
    ],
)
def test_invalid_settings_name_the_variable(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_settings({**BASE, **changes})
