"""The attendance sheet → one self-contained HTML page, the evidence a teacher can check. Pure.

One file, nothing to fetch: the face crops are inline (`data:` URIs), the style is inline, and
there is no JavaScript (a Content-Security-Policy forbids scripts and any request at all, so even
a mistake in escaping could not run anything). Readable on a phone: viewport meta, a grid that
falls to one column on a narrow screen. Every text that comes from data (names, majors, years,
keys, warnings, the bucket) goes through html.escape.

The page shows: the course (or "no course"), the video and its length, the counts, a card per
present person (face, name, major and year, first and last seen, seconds present, match
distance, a "visitor" badge for someone not on the course's list, and a bar of when in the video
they were on screen), the absent by name, the warnings and how many faces matched nobody.
Serve it as `text/html; charset=utf-8`.
"""
from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from handler.video.timeline import clock

if TYPE_CHECKING:  # only types here: keeps this module free of OpenCV and dlib
    from handler.tracks.presence import Presence
    from handler.attendance.sheet import Sheet, SheetRow

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
main{max-width:72rem;margin:0 auto}
h1{font-size:1.4rem;margin:0 0 .25rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{margin:0;color:#555;overflow-wrap:anywhere}
.counts{font-size:1.15rem;font-weight:600;margin:.75rem 0 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(19rem,1fr));gap:.75rem;padding:0;margin:0;list-style:none}
.card{background:#fff;border:1px solid #d9dce1;border-radius:.5rem;padding:.75rem;display:grid;grid-template-columns:96px 1fr;gap:.25rem .75rem}
.face{width:96px;height:96px;object-fit:cover;border-radius:.35rem;background:#e4e6ea;display:block}
.noface{display:flex;align-items:center;justify-content:center;font-size:1.6rem;font-weight:600;color:#6b7280}
.who{min-width:0}
.name{font-weight:600;margin:0;overflow-wrap:anywhere}
.record{margin:0;color:#555;font-size:.9rem;overflow-wrap:anywhere}
.badge{display:inline-block;margin-left:.35rem;padding:0 .4rem;border-radius:.25rem;background:#fde68a;color:#713f12;font-size:.75rem;font-weight:600;vertical-align:middle}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 .5rem;margin:.35rem 0 0;font-size:.85rem}
dt{color:#555;white-space:nowrap}dd{margin:0;font-variant-numeric:tabular-nums}
.when{grid-column:1/-1}
.track{position:relative;height:.8rem;background:#e4e6ea;border-radius:.2rem;overflow:hidden}
.seg{position:absolute;top:0;bottom:0;min-width:2px;background:#2563eb}
.ends{display:flex;justify-content:space-between;font-size:.75rem;color:#6b7280}
.absent{columns:14rem;margin:0;padding-left:1.2rem}
.warnings li{color:#92400e}
footer{margin-top:1.5rem;font-size:.8rem;color:#6b7280}
"""


def duration(seconds: float) -> str:
    """A length of time → `m:ss` (or `h:mm:ss`), rounded half up: 0.5 s shows as 0:01."""
    return clock(math.floor(max(0.0, seconds) + 0.5))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _pct(value: float) -> str:
    """A percentage for CSS: at most two decimals, no trailing zeros (`12.5`, `0`, `33.33`)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _image_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def intervals_of(presence: Presence) -> tuple[tuple[float, float], ...]:
    """When the person was on screen; a presence without intervals stands for first → last seen."""
    if presence.intervals:
        return presence.intervals
    return ((presence.first_seen_seconds, max(presence.first_seen_seconds, presence.last_seen_seconds)),)


def timeline_scale(sheet: Sheet) -> float:
    """The length the bars are drawn against: the video's, or when unknown (0) the latest
    moment anyone was seen."""
    if sheet.video_seconds > 0:
        return sheet.video_seconds
    ends = [end for row in sheet.present if row.presence for _start, end in intervals_of(row.presence)]
    return max(ends, default=0.0) or 1.0


def bar_segments(intervals: Sequence[tuple[float, float]], length: float) -> list[tuple[str, str]]:
    """(left %, width %) of each interval on a track standing for `length` seconds, clamped to it."""
    out = []
    for start, end in intervals:
        left = min(max(start, 0.0), length)
        right = min(max(end, left), length)
        out.append((_pct(100 * left / length), _pct(100 * (right - left) / length)))
    return out


def counts_line(sheet: Sheet) -> str:
    """`7 of 10 enrolled present, 1 visitor` for a course; `4 students recognised` otherwise."""
    if sheet.course is None:
        return _plural(len(sheet.present), "student recognised", "students recognised")
    visitors = sum(1 for row in sheet.present if row.enrolled is False)
    line = f"{sheet.present_enrolled_count} of {sheet.enrolled_count} enrolled present"
    return line + (f", {_plural(visitors, 'visitor', 'visitors')}" if visitors else "")


def _initials(name: str) -> str:
    parts = [part for part in name.replace("_", " ").replace(".", " ").split() if part[:1].isalnum()]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def _face(row: SheetRow) -> str:
    crop = row.presence.crop if row.presence else None
    if not crop:
        label = escape(f"no face image of {row.name}")
        return f'<div class="face noface" role="img" aria-label="{label}">{escape(_initials(row.name))}</div>'
    data = base64.b64encode(crop).decode("ascii")
    alt = escape(f"face of {row.name}")
    return f'<img class="face" width="96" height="96" alt="{alt}" src="data:{_image_type(crop)};base64,{data}">'


def _card(row: SheetRow, length: float) -> str:
    presence = row.presence
    assert presence is not None
    badge = ' <span class="badge">visitor</span>' if row.enrolled is False else ""
    record = " · ".join(escape(part) for part in (row.major, row.year) if part) or "no student record"
    spans = intervals_of(presence)
    segs = "".join(
        f'<span class="seg" style="left:{left}%;width:{width}%"></span>' for left, width in bar_segments(spans, length)
    )
    seen = ", ".join(f"{clock(a)}–{clock(b)}" for a, b in spans)
    return (
        '<li class="card">'
        f"{_face(row)}"
        '<div class="who">'
        f'<p class="name">{escape(row.name)}{badge}</p>'
        f'<p class="record">{record}</p>'
        "<dl>"
        f"<dt>first seen</dt><dd>{clock(presence.first_seen_seconds)}</dd>"
        f"<dt>last seen</dt><dd>{clock(presence.last_seen_seconds)}</dd>"
        f"<dt>present</dt><dd>{duration(presence.seconds_present)}</dd>"
        f"<dt>match distance</dt><dd>{presence.distance:.3f}</dd>"
        "</dl></div>"
        '<div class="when">'
        f'<div class="track" role="img" aria-label="on screen {seen}">{segs}</div>'
        f'<div class="ends"><span>0:00</span><span>{duration(length)}</span></div>'
        "</div></li>"
    )


def render_page(sheet: Sheet, video_bucket: str | None = None, generated_at: str | None = None) -> str:
    """The evidence page of one video's attendance sheet (UTF-8 HTML text)."""
    course = escape(sheet.course) if sheet.course is not None else "no course"
    where = f"s3://{video_bucket}/{sheet.video_key}" if video_bucket else sheet.video_key
    length = timeline_scale(sheet)
    video_length = duration(sheet.video_seconds) if sheet.video_seconds > 0 else "unknown"
    present = sheet.present
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>Attendance: {course} · {escape(sheet.video_key)}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body><main>",
        "<header>",
        f'<h1>Attendance <span class="course">{course}</span></h1>',
        f'<p class="meta">video <span class="video">{escape(where)}</span>, '
        f'length <span class="length">{video_length}</span></p>',
        f'<p class="counts">{escape(counts_line(sheet))}</p>',
        "</header>",
    ]
    if sheet.warnings:
        parts.append('<section class="warnings"><h2>Warnings</h2><ul>')
        parts.extend(f"<li>{escape(warning)}</li>" for warning in sheet.warnings)
        parts.append("</ul></section>")
    parts.append(f'<section><h2>Present ({len(present)})</h2>')
    if present:
        parts.append('<ul class="cards">')
        parts.extend(_card(row, length) for row in present)
        parts.append("</ul>")
    else:
        parts.append("<p>Nobody was recognised.</p>")
    parts.append("</section>")
    if sheet.course is not None:
        absent = sorted(row.name for row in sheet.absent)
        parts.append(f"<section><h2>Absent ({len(absent)})</h2>")
        if absent:
            parts.append('<ul class="absent">')
            parts.extend(f"<li>{escape(name)}</li>" for name in absent)
            parts.append("</ul>")
        else:
            parts.append("<p>Nobody on the list is absent.</p>")
        parts.append("</section>")
    unmatched = _plural(sheet.faces_unrecognised, "face", "faces")
    parts.append(f'<p class="unrecognised">{unmatched} matched nobody on the roster.</p>')
    if generated_at:
        parts.append(f"<footer>generated {escape(generated_at)}</footer>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
