"""The pure stages between pixels and the CSV: sampling by timestamp, where to look, tracks,
names decided on evidence, presence. No video, no AWS."""
from __future__ import annotations

import numpy as np
import pytest

from handler.faces.detector import merge_boxes, overlap
from handler.faces.roster import Nearest
from handler.tracks.identity import ENCODE_AFTER_SECONDS, MAX_ENCODINGS, Identity, Vote, decide
from handler.tracks.presence import NamedTrack, presence
from handler.tracks.tracking import MISSES_TO_END, SETTLE_LOOKS, ChangeWatch, Look, Tracker
from handler.video.frames import Sampler


@pytest.mark.parametrize(
    ("times", "rate", "expected"),
    [
        ([i / 30 for i in range(90)], 2, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]),
        ([i / 29.97 for i in range(60)], 1, [0.0, 1.001]),
        ([i / 10 for i in range(5)], 30, [0.0, 0.1, 0.2, 0.3, 0.4]),  # more than there is: every frame once
        ([0.0, 0.4, 1.2, 1.3, 2.9, 3.0], 1, [0.0, 1.2, 2.9, 3.0]),  # variable frame rate: by the clock
        ([i * 0.001 for i in range(75)], 2, [0.0]),  # a 75-frame clip of 0.075 s: its first frame
    ],
)
def test_frames_are_sampled_by_their_timestamps(times: list[float], rate: float, expected: list[float]) -> None:
    sampler = Sampler(rate)
    assert [round(t, 3) for t in times if sampler.wants(t)] == expected


def test_boxes_found_twice_are_merged_keeping_the_larger() -> None:
    a, b, far = (100, 150, 150, 100), (98, 152, 152, 98), (400, 450, 450, 400)
    assert overlap(a, b) > 0.8
    assert merge_boxes([a, far, b]) == [b, far]


def gray(height: int = 240, width: int = 320, value: int = 120) -> np.ndarray:
    return np.full((height, width), value, np.uint8)


def test_change_watch_scans_fully_first_then_only_where_the_picture_changed() -> None:
    watch = ChangeWatch(full_scan_seconds=20)
    assert watch.look(gray(), 0.0).full
    assert watch.look(gray(), 0.5).full is False  # the second scan is due at 2 s, not yet
    frame = gray()
    frame[100:140, 200:240] = 250  # someone sits down
    look = watch.look(frame, 1.0)
    assert not look.full
    [region] = look.regions(known=[])
    top, right, bottom, left = region
    assert top <= 100 and bottom >= 140 and left <= 200 and right >= 240
    assert look.regions(known=[(100, 240, 140, 200)]) == []  # a known face moving: nothing new
    assert watch.look(frame, 2.0).full  # the early second full scan
    assert watch.look(frame, 21.9).full is False
    assert watch.look(frame, 22.0).full  # then every full_scan_seconds


def test_a_change_is_looked_at_several_times_before_it_is_the_new_normal() -> None:
    watch = ChangeWatch(full_scan_seconds=100)
    watch.look(gray(), 0.0)
    watch.look(gray(), 2.0)  # second full scan
    frame = gray()
    frame[0:80, 0:80] = 0
    changed = [bool(watch.look(frame, 2.5 + i / 2).regions([])) for i in range(SETTLE_LOOKS + 1)]
    assert changed == [True] * SETTLE_LOOKS + [False]


def test_a_scene_change_calls_for_a_full_scan() -> None:
    watch = ChangeWatch(full_scan_seconds=100)
    watch.look(gray(), 0.0)
    watch.look(gray(), 2.0)
    assert watch.look(gray(value=10), 2.5).full


FACE = (100, 160, 160, 100)


def test_tracks_follow_a_face_and_end_after_repeated_misses() -> None:
    tracker = Tracker()
    [track] = tracker.update(Look(True), [FACE], 0.0)
    moved = (104, 164, 164, 104)
    assert tracker.update(Look(True), [moved], 0.5) == [track] and track.box == moved
    assert len(tracker.tracks) == 1
    for k in range(MISSES_TO_END):  # full looks that do not find it, nor does the second chance
        on_screen = tracker.update(Look(True), [], 1.0 + k / 2, refind=lambda boxes: [None] * len(boxes))
        assert on_screen == []
    assert track.ended and track.seen_at == [0.0, 0.5]


def test_a_face_missed_by_the_scan_but_found_again_nearby_stays() -> None:
    tracker = Tracker()
    [track] = tracker.update(Look(True), [FACE], 0.0)
    asked = []
    on_screen = tracker.update(Look(True), [], 0.5, refind=lambda boxes: asked.extend(boxes) or list(boxes))
    assert asked == [FACE] and on_screen == [track] and track.misses == 0


def test_a_still_face_where_nothing_changed_is_still_there() -> None:
    tracker = Tracker()
    [track] = tracker.update(Look(True), [FACE], 0.0)
    still = Look(False, np.zeros((30, 40), bool), 240, 320)
    assert tracker.update(still, [], 0.5, refind=lambda boxes: pytest.fail("nothing to look for")) == [track]
    assert track.seen_at == [0.0, 0.5]


def test_a_new_face_elsewhere_is_a_new_track() -> None:
    tracker = Tracker()
    tracker.update(Look(True), [FACE], 0.0)
    on_screen = tracker.update(Look(True), [FACE, (10, 60, 60, 10)], 0.5)
    assert [t.number for t in on_screen] == [0, 1]


def vote(name: str | None, distance: float, second: float, seconds: float = 0.0) -> Vote:
    return Vote(Nearest(name, distance, "other" if name else None, second), seconds)


def test_one_match_within_tolerance_is_not_enough() -> None:
    assert decide([vote("ann", 0.52, 0.75)], 0.6) is None


def test_two_agreeing_clear_matches_name_the_face() -> None:
    assert decide([vote("ann", 0.52, 0.75), vote("ann", 0.55, 0.74)], 0.6) == "ann"


def test_one_very_close_clear_match_names_the_face_at_once() -> None:
    assert decide([vote("ann", 0.30, 0.75)], 0.6) == "ann"
    assert decide([vote("ann", 0.30, 0.45)], 0.6) is None  # close, but bob is close too


def test_a_stranger_close_to_somebody_every_time_is_never_named() -> None:
    # What small strangers look like: within 0.6 of a student, as near to another one.
    assert decide([vote("ann", 0.55, 0.58, seconds=t) for t in range(30)], 0.6) is None


def test_a_face_that_is_somebody_only_now_and_then_is_not_named() -> None:
    votes = [vote("ann", 0.5, 0.7), vote("ann", 0.5, 0.7), vote(None, np.inf, np.inf), vote("bob", 0.5, 0.7)]
    assert decide(votes, 0.6) is None  # 2 of 4 is not most
    assert decide(votes[:2] + [vote("bob", 0.5, 0.7)], 0.6) == "ann"  # 2 of 3 is


def test_the_tolerance_setting_is_respected() -> None:
    votes = [vote("ann", 0.5, 0.75), vote("ann", 0.5, 0.75)]
    assert decide(votes, 0.6) == "ann"
    assert decide(votes, 0.45) is None


def test_encodings_are_spaced_out_and_bounded() -> None:
    identity = Identity()
    times = []
    t = 0.0
    while t < 120:
        if identity.due(t):
            identity.add(vote("ann", 0.55, 0.58, seconds=t), 0.6)  # never clear enough
            times.append(t)
        t += 0.5
    assert len(times) == MAX_ENCODINGS
    assert [b - a for a, b in zip(times, times[1:])] == list(ENCODE_AFTER_SECONDS[1:])
    assert identity.settled and identity.name is None


def test_a_named_face_is_not_encoded_again() -> None:
    identity = Identity()
    identity.add(vote("ann", 0.2, 0.8), 0.6)
    assert identity.name == "ann" and identity.distance == 0.2 and not identity.due(100.0)


def test_presence_merges_every_track_of_a_student() -> None:
    tracks = [
        NamedTrack("ann", (10.0, 10.5, 11.0), 0.4),
        NamedTrack("bob", (0.0, 0.5), 0.5),
        NamedTrack("ann", (11.0, 30.0), 0.35),  # the same instant twice counts once
    ]
    ann, bob = sorted(presence(tracks, 0.5), key=lambda p: p.name)
    assert (ann.first_seen_seconds, ann.last_seen_seconds, ann.seconds_present, ann.distance) == (10.0, 30.0, 2.0, 0.35)
    assert [p.name for p in presence(tracks, 0.5)] == ["bob", "ann"]  # order of first appearance
    assert bob.seconds_present == 1.0
