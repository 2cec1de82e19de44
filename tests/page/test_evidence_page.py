"""The evidence page's HTML: what it says, that data is text, that it stands alone."""
from __future__ import annotations

import base64
import re
import time

import pytest

from handler.attendance.courses import Course
from handler.attendance.sheet import Sheet, SheetRow, attendance_sheet
from handler.results.evidence_page import bar_segments, clock, counts_line, duration, render_page
from tests.page.dom import Element, parse
from tests.page.sheets import (
    ABSENT, COURSE_VIDEO, NO_CROP, PRESENT, SCRIPT_NAME, class_of, course_sheet, seen,
)


def cards(root: Element) -> list[Element]:
    return root.find_all("li", "card")


def card_name(card: Element) -> str:
    """The name as a reader sees it, without the badge."""
    name = card.find("p", "name")
    return "".join(child for child in name.children if isinstance(child, str)).strip()


@pytest.fixture
def course_page(crops: list[bytes]) -> tuple[Sheet, Element, str]:
    sheet = course_sheet(crops)
    page = render_page(sheet, video_bucket="input-bucket", generated_at="2026-12-04T10:00:00Z")
    return sheet, parse(page), page


def test_counts_for_a_course_and_without_one(course_page, crops) -> None:
    _sheet, root, _page = course_page
    assert root.find("p", "counts").text == "7 of 10 enrolled present, 1 visitor"
    assert root.find(cls="course").text == "cse546"
    students = [seen(name, [(1.0, 2.0)], crops[0]) for name in ("a", "b", "c")]
    plain = parse(render_page(attendance_sheet("lesson.mp4", students, {}, video_seconds=10)))
    assert plain.find("p", "counts").text == "3 students recognised"
    assert plain.find(cls="course").text == "no course"
    assert not plain.find_all(cls="absent") and not plain.find_all(cls="badge")
    one = attendance_sheet("lesson.mp4", students[:1], {}, video_seconds=10)
    assert counts_line(one) == "1 student recognised"
    two_visitors = attendance_sheet("c1/x.mp4", students, {}, Course("c1", ("a", "z")), video_seconds=10)
    assert counts_line(two_visitors) == "1 of 2 enrolled present, 2 visitors"
    nobody = attendance_sheet("c1/x.mp4", [], {}, Course("c1", ("a", "z")), video_seconds=10)
    assert counts_line(nobody) == "0 of 2 enrolled present"


def test_one_card_per_present_person_in_order_of_appearance(course_page) -> None:
    sheet, root, _page = course_page
    assert [card_name(card) for card in cards(root)] == [*PRESENT, SCRIPT_NAME]
    assert [card_name(card) for card in cards(root)] == [row.name for row in sheet.present]
    badged = [card_name(card) for card in cards(root) if card.find_all(cls="badge")]
    assert badged == [SCRIPT_NAME]
    assert root.find("span", "badge").text == "visitor"
    first = cards(root)[0]
    assert first.find("p", "record").text == "computer_science · freshman"
    details = dict(zip((dt.text for dt in first.find_all("dt")), (dd.text for dd in first.find_all("dd"))))
    assert details == {"first seen": "0:00", "last seen": "6:59", "present": "4:00", "match distance": "0.200"}


def test_absent_names_listed_by_name(course_page) -> None:
    _sheet, root, _page = course_page
    absent = root.find("ul", "absent")
    assert [li.text for li in absent.find_all("li")] == sorted(ABSENT)
    assert "Absent (3)" in root.text


def test_names_keys_majors_and_warnings_are_text(crops) -> None:
    hostile = '<img src=x onerror="alert(2)">&amp;'
    person = seen(SCRIPT_NAME, [(0.0, 5.0)], crops[0])
    sheet = attendance_sheet(
        f"{hostile}/video.mp4", [person], {SCRIPT_NAME: {"major": hostile, "year": "<b>senior</b>"}},
        video_seconds=10, warnings=[f"warning {hostile}"],
    )
    page = render_page(sheet, video_bucket='bucket"<x>', generated_at="<i>now</i>")
    root = parse(page)
    # Only the page's own markup: no script, no event handler, the one img is the crop.
    assert not re.search(r"<script", page, re.IGNORECASE)
    assert not any(name.startswith("on") for e in root.iter() for name in e.attrs)
    assert [img.attrs["src"][:23] for img in root.find_all("img")] == ["data:image/jpeg;base64,"]
    assert {e.tag for e in root.iter()} <= {
        "#document", "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "p", "span",
        "section", "ul", "li", "img", "div", "dl", "dt", "dd", "footer",
    }
    # ...and every text shows as written.
    assert card_name(root.find("li", "card")) == SCRIPT_NAME
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert root.find("p", "record").text == f"{hostile} · <b>senior</b>"
    assert root.find(cls="video").text == f's3://bucket"<x>/{hostile}/video.mp4'
    assert [li.text for li in root.find("section", "warnings").find_all("li")] == [f"warning {hostile}"]
    assert root.find("footer").text == "generated <i>now</i>"
    assert root.find("title").text == f"Attendance: no course · {hostile}/video.mp4"
    assert root.find("img").attrs["alt"] == f"face of {SCRIPT_NAME}"


def test_crops_are_inline_and_decode_to_the_bytes_given(course_page) -> None:
    sheet, root, _page = course_page
    for row, card in zip(sheet.present, cards(root)):
        images = card.find_all("img")
        if row.name == NO_CROP:
            assert images == []
            placeholder = card.find("div", "noface")
            assert placeholder.attrs["role"] == "img" and placeholder.text == "DK"
            assert placeholder.attrs["aria-label"] == f"no face image of {NO_CROP}"
            continue
        (image,) = images
        prefix = "data:image/jpeg;base64,"
        assert image.attrs["src"].startswith(prefix)
        assert base64.b64decode(image.attrs["src"][len(prefix):], validate=True) == row.presence.crop
        assert image.attrs["alt"] and image.attrs["width"] == image.attrs["height"] == "96"


def test_bars_place_each_interval_by_percent_of_the_video(crops) -> None:
    person = seen("grace_hopper", [(0.0, 15.0), (30.0, 45.0), (57.0, 66.0)], crops[0])
    root = parse(render_page(attendance_sheet("lesson.mp4", [person], {}, video_seconds=60.0)))
    track = root.find("div", "track")
    styles = [seg.attrs["style"] for seg in track.find_all("span", "seg")]
    # The last stretch ends past the video's end (one sample period): it is cut at 100 %.
    assert styles == ["left:0%;width:25%", "left:50%;width:25%", "left:95%;width:5%"]
    assert track.attrs["aria-label"] == "on screen 0:00–0:15, 0:30–0:45, 0:57–1:06"
    assert [span.text for span in root.find("div", "ends").find_all("span")] == ["0:00", "1:00"]
    assert bar_segments([(10.0, 20.0)], 30.0) == [("33.33", "33.33")]
    assert bar_segments([(-1.0, 2.0), (40.0, 50.0)], 30.0) == [("0", "6.67"), ("100", "0")]


def test_a_video_of_unknown_length_is_drawn_to_the_last_moment_seen(crops) -> None:
    people = [seen("a", [(0.0, 10.0)], crops[0]), seen("b", [(10.0, 40.0)], crops[1])]
    root = parse(render_page(attendance_sheet("lesson.mp4", people, {}, video_seconds=0.0)))
    assert [seg.attrs["style"] for seg in root.find_all("span", "seg")] == ["left:0%;width:25%", "left:25%;width:75%"]
    assert root.find(cls="length").text == "unknown"


def test_a_presence_without_intervals_is_drawn_first_to_last_seen(crops) -> None:
    from handler.tracks.presence import Presence

    person = Presence("a", 20.0, 29.5, 10.0, 0.3)
    root = parse(render_page(attendance_sheet("lesson.mp4", [person], {}, video_seconds=40.0)))
    assert root.find("span", "seg").attrs["style"] == "left:50%;width:23.75%"
    assert root.find(cls="noface").text == "A"


def test_times_read_as_a_clock() -> None:
    assert [clock(s) for s in (0, 0.4, 59.9, 61, 600, 3599.5, 3600, 3725.2, 36000)] == [
        "0:00", "0:00", "0:59", "1:01", "10:00", "59:59", "1:00:00", "1:02:05", "10:00:00"]
    assert [duration(s) for s in (0.4, 0.5, 59.5, 3599.6)] == ["0:00", "0:01", "1:00", "1:00:00"]


def test_warnings_unrecognised_faces_and_a_student_without_a_record(crops) -> None:
    sheet = attendance_sheet(
        "c1/lesson.mp4", [seen("ghost", [(0.0, 4.0)], crops[0])], {}, Course("c1", ("ghost", "nobody")),
        roster_names=["ghost"], video_seconds=10, faces_unrecognised=1,
    )
    root = parse(render_page(sheet))
    (warning,) = root.find("section", "warnings").find_all("li")
    assert warning.text.startswith("nobody is on the list of c1 but not in the roster")
    assert root.find("p", "unrecognised").text == "1 face matched nobody on the roster."
    assert root.find("p", "record").text == "no student record"
    assert [li.text for li in root.find("ul", "absent").find_all("li")] == ["nobody"]
    assert not parse(render_page(course_sheet(crops))).find_all("section", "warnings")
    assert parse(render_page(course_sheet(crops))).find("p", "unrecognised").text.startswith("2 faces matched")


def test_nobody_recognised_and_nobody_absent(crops) -> None:
    empty = parse(render_page(attendance_sheet("lesson.mp4", [], {}, video_seconds=5)))
    assert not cards(empty) and "Nobody was recognised." in empty.text
    assert empty.find("p", "counts").text == "0 students recognised"
    everyone = attendance_sheet("c1/x.mp4", [seen("a", [(0.0, 1.0)], crops[0])], {}, Course("c1", ("a",)),
                                video_seconds=5)
    assert "Nobody on the list is absent." in parse(render_page(everyone)).text


def test_the_page_stands_alone_and_fits_a_phone(course_page) -> None:
    sheet, root, page = course_page
    head = root.find("head")
    metas = {m.attrs.get("name") or m.attrs.get("http-equiv") or "charset": m.attrs for m in head.find_all("meta")}
    assert metas["charset"]["charset"] == "utf-8"
    assert metas["viewport"]["content"] == "width=device-width,initial-scale=1"
    assert "default-src 'none'" in metas["Content-Security-Policy"]["content"]
    assert "script-src" not in metas["Content-Security-Policy"]["content"]
    # Nothing to fetch: no links, no stylesheet or image from anywhere but the page itself.
    assert not root.find_all("link") and not root.find_all("script") and not root.find_all("a")
    assert all(img.attrs["src"].startswith("data:image/") for img in root.find_all("img"))
    assert "url(" not in page and "@import" not in page
    assert "grid-template-columns:repeat(auto-fill,minmax(" in root.find("style").text
    assert page.encode("utf-8").decode("utf-8") == page
    assert render_page(sheet) == render_page(sheet)  # pure: the same sheet, the same page


def test_a_class_of_30_is_its_crops_plus_little_and_renders_in_milliseconds(crops, record_property) -> None:
    sheet = class_of(30, crops)
    assert len({row.presence.crop for row in sheet.rows}) == 30
    crop_bytes = sum(len(row.presence.crop) for row in sheet.rows)
    started = time.perf_counter()
    page = render_page(sheet, video_bucket="input-bucket", generated_at="2026-12-04T10:00:00Z")
    elapsed = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    record_property("page_bytes", size)
    record_property("crop_bytes", crop_bytes)
    record_property("render_ms", round(elapsed * 1000, 2))
    print(f"class of 30: page {size} bytes ({crop_bytes} bytes of crops), rendered in {elapsed * 1000:.2f} ms")
    assert len(cards(parse(page))) == 30
    # Base64 costs 4/3 of the crops (~3.4 KB each at the handler's 96 px, quality 85); the rest
    # (style, text, bars) is under 25 KB: ~160 KB for 30 such crops, ~145 KB for 3 KB ones.
    assert size - crop_bytes * 4 / 3 < 25_000
    assert size < 175_000
    assert elapsed < 0.05


def test_rows_straight_from_sheet_rows(crops) -> None:
    """A Sheet built by hand (as a merge might) renders the same way as one from attendance_sheet."""
    person = seen("a", [(0.0, 1.0)], crops[0])
    by_hand = Sheet("c1/x.mp4", "c1", 5.0, (SheetRow("a", "math", "junior", person, True),
                                            SheetRow("b", "", "", None, True)))
    built = attendance_sheet("c1/x.mp4", [person], {"a": {"major": "math", "year": "junior"}},
                             Course("c1", ("a", "b")), video_seconds=5.0)
    assert render_page(by_hand) == render_page(built)


def test_video_key_alone_without_bucket(course_page) -> None:
    sheet, _root, _page = course_page
    assert parse(render_page(sheet)).find(cls="video").text == COURSE_VIDEO
    assert not parse(render_page(sheet)).find_all("footer")
