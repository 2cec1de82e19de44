"""Pure logic of the workload and the local stack: no emulator, no video."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from classroom.demo_data import expected_results
from classroom.provision import notification_configuration
from classroom.results import (
    CORRECT,
    ERROR,
    MISSING,
    WRONG,
    ResultFormatError,
    VideoOutcome,
    check_rows,
    format_expected,
    parse_expected,
    parse_result_csv,
    percentile,
    summarise,
)
from classroom.workload_run import plan_uploads


def test_expected_file_groups_rows_by_video_and_empty_name_means_nobody() -> None:
    text = "video,name,major,year\na.mp4,ann,math,senior\na.mp4,bob,art,junior\nb.mp4,,,\n"
    assert parse_expected(text) == {"a.mp4": [("ann", "math", "senior"), ("bob", "art", "junior")], "b.mp4": []}
    assert parse_expected(format_expected(parse_expected(text))) == parse_expected(text)


def test_expected_file_with_wrong_header_is_refused_naming_the_file() -> None:
    with pytest.raises(ResultFormatError, match="exp.csv: header"):
        parse_expected("file,who\n", source="exp.csv")


def test_result_csv_extra_columns_are_ignored_and_order_matters() -> None:
    rows = parse_result_csv("name,major,year,first_seen_seconds\nann,math,senior,0.0\nbob,art,junior,2.0\n")
    assert check_rows([("ann", "math", "senior"), ("bob", "art", "junior")], rows) == (CORRECT, "")
    verdict, detail = check_rows([("bob", "art", "junior"), ("ann", "math", "senior")], rows)
    assert verdict == WRONG and "expected [bob/art/junior; ann/math/senior]" in detail
    assert check_rows([], parse_result_csv("name,major,year\n")) == (CORRECT, "")


def test_percentiles_interpolate_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1.0, 10.0], 95) == pytest.approx(9.55)
    assert math.isnan(percentile([], 50))


def test_summary_counts_and_fails_on_anything_wrong_missing_or_errored() -> None:
    outcomes = [
        VideoOutcome("p/a.mp4", "a.mp4", 0.0, CORRECT, 2.0),
        VideoOutcome("p/b.mp4", "b.mp4", 0.0, ERROR, 1.0, detail="not a video"),
        VideoOutcome("p/c.mp4", "c.mp4", 0.0, MISSING),
    ]
    summary = summarise(outcomes, wall_s=4.0, checked=True)
    assert (summary.sent, summary.received, summary.correct, summary.errors, summary.missing) == (3, 2, 1, 1, 1)
    assert summary.throughput_per_min == 30.0 and not summary.ok
    assert "error     p/b.mp4: not a video" in summary.table()
    assert summarise(outcomes[:1], wall_s=1.0, checked=True).ok
    empty = summarise([], wall_s=0.0, checked=False).to_json()
    assert empty["latency_p50_s"] is None and empty["ok"] is False


def test_repeated_uploads_get_distinct_keys() -> None:
    videos = [Path("v/a.mp4"), Path("v/b.mp4")]
    assert [u.key for u in plan_uploads(videos, 1, "run")] == ["run/a.mp4", "run/b.mp4"]
    keys = [u.key for u in plan_uploads(videos, 3, "run")]
    assert len(set(keys)) == 6 and keys[0] == "run/001/a.mp4"
    assert plan_uploads(videos, 1, "run")[0].result_keys == ("run/a.csv", "run/a.error.json")


def test_one_notification_rule_per_spelling_of_each_suffix() -> None:
    rules = notification_configuration("arn:q", (".mp4", ".mov"))["QueueConfigurations"]
    values = [r["Filter"]["Key"]["FilterRules"][0]["Value"] for r in rules]
    assert values == [".mp4", ".mP4", ".Mp4", ".MP4", ".mov", ".moV", ".mOv", ".mOV", ".Mov", ".MoV", ".MOv", ".MOV"]
    assert len({r["Id"] for r in rules}) == len(rules)
    assert all(r["Events"] == ["s3:ObjectCreated:*"] for r in rules)


def test_demo_expectations_list_the_cast_in_order_of_entry() -> None:
    expected = expected_results()
    assert [row[0] for row in expected["hopper_then_collins.mp4"]] == ["grace_hopper", "eileen_collins"]
    assert expected["empty_room.mp4"] == []
