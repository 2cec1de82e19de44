"""Attendance for a course (issue 13), through moto: every student on the course's list present
or absent, visitors marked, the evidence page beside the CSV, one message to the teacher."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from classroom.people import STUDENTS, build_scene_roster
from classroom.scene_truth import students_records
from handler.faces.roster import Roster
from tests.handler.pipeline import Pipeline, PipelineFactory
from tests.handler.videos import seated_class

IN_CLASS = ["president_trump", "president_biden", "morgan_freeman", "president_obama", "mr_bean", "kit_harington",
            "rose_leslie"]
VISITOR = "grace_hopper"  # recognised, in the table, not on the list of cse546
ABSENT = ["alex_lacamoire", "johnny_dep", "ada_lovelace"]  # ada_lovelace: on the list, never enrolled in the roster
COURSE_HEADER = ["name", "major", "year", "first_seen_seconds", "last_seen_seconds", "seconds_present",
                 "match_distance", "attended", "enrolled"]


@pytest.fixture(scope="module")
def scene_roster(datasets: Path) -> Roster:
    return build_scene_roster(datasets)


@pytest.fixture(scope="module")
def class_video(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seated_class(tmp_path_factory.mktemp("course") / "class.mp4", datasets, IN_CLASS + [VISITOR])


def course_students() -> list[dict[str, Any]]:
    records = students_records(list(STUDENTS)) + [{"id": 99, "name": "ada_lovelace", "major": "mathematics",
                                                   "year": "senior"}]
    for record in records:
        courses = []
        if record["name"] in IN_CLASS + ABSENT:
            courses.append("cse546")
        if record["name"] in ("president_obama", "grace_hopper"):
            courses.append("cse535")
        if courses:
            record["courses"] = courses
    return records


@pytest.fixture
def course(new_pipeline: PipelineFactory, scene_roster: Roster) -> Pipeline:
    return new_pipeline(course_students(), scene_roster)


def rows(pipeline: Pipeline, key: str) -> list[list[str]]:
    lines = pipeline.result(key).decode().splitlines()
    return [line.split(",") for line in lines]


def test_a_course_video_lists_every_student_on_the_list_present_or_absent_and_marks_the_visitor(
    course: Pipeline, class_video: Path
) -> None:
    course.upload("cse546/2026-12-04/lecture.mp4", class_video.read_bytes())
    [summary] = course.deliver()
    header, *body = rows(course, "cse546/2026-12-04/lecture.csv")
    assert header == COURSE_HEADER
    records = {r["name"]: r for r in course_students()}
    present = [row for row in body if row[7] == "yes"]
    absent = [row for row in body if row[7] == "no"]
    # Present people first, in order of first appearance (all from the first frame: then by name).
    assert sorted(row[0] for row in present) == sorted(IN_CLASS + [VISITOR])
    assert body[: len(present)] == present
    for name, major, year, first, last, seconds, distance, attended, enrolled in present:
        assert (major, year) == (records[name]["major"], records[name]["year"])
        assert enrolled == ("no" if name == VISITOR else "yes")
        assert float(first) <= 1.0 and float(last) >= 5.0 and float(seconds) >= 4.0 and 0 < float(distance) < 0.6
    # Then the absent, by name, with empty presence columns.
    assert absent == [
        ["ada_lovelace", "mathematics", "senior", "", "", "", "", "no", "yes"],
        ["alex_lacamoire", records["alex_lacamoire"]["major"], records["alex_lacamoire"]["year"], "", "", "", "", "no", "yes"],
        ["johnny_dep", records["johnny_dep"]["major"], records["johnny_dep"]["year"], "", "", "", "", "no", "yes"],
    ]
    [record] = summary["records"]
    assert (record["course"], record["enrolled"], record["present_enrolled"]) == ("cse546", 10, 7)
    assert record["warnings"] == ["ada_lovelace is on the list of cse546 but not in the roster: they cannot be "
                                  "recognised and are listed as absent; enrol their photos"]
    assert course.output_keys() == ["cse546/2026-12-04/lecture.csv", "cse546/2026-12-04/lecture.html"]
    page = course.result("cse546/2026-12-04/lecture.html").decode()
    assert page.count("data:image/jpeg;base64,") == len(present)
    [message] = course.messages()
    assert message.subject == "Attendance ready (cse546: 7 of 10 present): cse546/2026-12-04/lecture.mp4"
    assert message.body["absent"] == ["ada_lovelace", "alex_lacamoire", "johnny_dep"]
    assert message.body["csv"] == f"s3://{course.output_bucket}/cse546/2026-12-04/lecture.csv"
    assert message.body["page"] == f"s3://{course.output_bucket}/cse546/2026-12-04/lecture.html"
    assert (message.body["present"], message.body["present_enrolled"], message.body["enrolled"]) == (8, 7, 10)


def test_an_upper_case_course_folder_is_the_same_course(course: Pipeline, class_video: Path) -> None:
    course.upload("CSE546/Lecture.MP4", class_video.read_bytes())
    course.deliver()
    header, *body = rows(course, "CSE546/Lecture.csv")
    assert header == COURSE_HEADER and len(body) == 11


def test_a_student_in_two_courses_is_on_both_sheets(course: Pipeline, class_video: Path) -> None:
    course.upload("cse535/week1.mp4", class_video.read_bytes())
    course.deliver()
    header, *body = rows(course, "cse535/week1.csv")
    marks = {row[0]: (row[7], row[8]) for row in body}
    # cse535's list: president_obama and grace_hopper, both there; the six others are visitors here.
    assert marks["president_obama"] == ("yes", "yes") and marks["grace_hopper"] == ("yes", "yes")
    assert {name for name, mark in marks.items() if mark == ("yes", "no")} == set(IN_CLASS) - {"president_obama"}
    assert len(body) == 8


def test_a_key_outside_any_course_gives_the_plain_csv(course: Pipeline, class_video: Path) -> None:
    course.upload("misc/lecture.mp4", class_video.read_bytes())  # "misc" is no course
    course.upload("lecture.mp4", class_video.read_bytes())  # no folder at all
    course.deliver()
    for key in ("misc/lecture.csv", "lecture.csv"):
        header, *body = rows(course, key)
        assert header == COURSE_HEADER[:7]
        assert sorted(row[0] for row in body) == sorted(IN_CLASS + [VISITOR])
    subjects = sorted(m.subject for m in course.messages())
    assert subjects == ["Attendance ready (8 student(s) recognised): lecture.mp4",
                        "Attendance ready (8 student(s) recognised): misc/lecture.mp4"]


def test_an_error_report_removes_the_csv_and_the_page_and_tells_the_teacher(course: Pipeline, class_video: Path) -> None:
    course.upload("cse546/late.mp4", class_video.read_bytes())
    course.deliver()
    assert course.output_keys() == ["cse546/late.csv", "cse546/late.html"]
    course.messages()
    course.upload("cse546/late.mp4", b"not a video any more")
    course.deliver()
    assert course.output_keys() == ["cse546/late.error.json"]
    [message] = course.messages()
    assert message.subject == "Attendance failed: cse546/late.mp4"
    assert message.body["error"].startswith("the file cannot be read as a video")
    assert (message.body["course"], message.body["report"]) == ("cse546", f"s3://{course.output_bucket}/cse546/late.error.json")


def test_with_evidence_off_no_page_and_no_crop_is_kept(course: Pipeline, class_video: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE", "false")
    course.upload("cse546/private.mp4", class_video.read_bytes())
    course.deliver()
    assert course.output_keys() == ["cse546/private.csv"]
    assert course.messages()[0].body["page"] is None


def test_a_course_lecture_in_segments_gives_the_csv_and_the_cards_of_reading_it_whole(
    course: Pipeline, scene_roster: Roster, datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from handler.attendance.courses import Course
    from handler.results.evidence_page import render_page
    from handler.tracks.recognition import recognise_video
    from handler.results.result_files import attendance_csv
    from handler.settings import load_settings
    from handler.attendance.sheet import attendance_sheet

    monkeypatch.setenv("SEGMENT_SECONDS", "10")
    video = seated_class(tmp_path / "long.mp4", datasets, IN_CLASS + [VISITOR], seconds=25.0)
    key = "cse546/long/lecture.mp4"
    course.upload(key, video.read_bytes())
    [summary] = course.deliver()
    assert (summary["records"][0]["status"], summary["records"][0]["segments"]) == ("split", 3)
    # The same video read whole in this process, and its sheet made as the handler makes it.
    whole = recognise_video(video, scene_roster, load_settings(os.environ).recognition)
    students = course_students()
    records = {r["name"]: {"major": str(r["major"]), "year": str(r["year"])} for r in students}
    listed = Course("cse546", tuple(sorted(r["name"] for r in students if "cse546" in r.get("courses", ()))))
    sheet = attendance_sheet(key, whole.present, records, listed, scene_roster.names, whole.seconds,
                             whole.faces_unrecognised)
    assert course.result("cse546/long/lecture.csv").decode() == attendance_csv(sheet)
    page = course.result("cse546/long/lecture.html").decode()
    assert page == render_page(sheet, course.input_bucket)  # the same cards: crops, times, bars
    assert page.count("data:image/jpeg;base64,") == 8
