"""What the measured lecture says about AWS Lambda: a 90-minute and a 3-hour lecture, with the
arithmetic written out. Pure: figures in, figures and sentences out.

The model: the planner runs once, the segments run in rounds of `concurrency` at a time
(the event source mapping's maximum concurrency), and the last segment merges. Compute times
come from the run with one worker, which had this machine's 2 cores to itself; Lambda at
3008 MB has about 1.7 vCPU (1 vCPU per 1769 MB), so they are multiplied by 2 / 1.7. Two
things the simple model leaves out are added apart: the event source mapping starts with 5
concurrent invocations and adds up to 300 a minute (AWS's documented scaling), and a new
sandbox's init (container image, imports, models) in the first round.
"""
from __future__ import annotations

import math

LOCAL_CORES = 2
LAMBDA_VCPU = 3008 / 1769  # ≈ 1.70 at the default memory size
CONCURRENCY = 50  # segmentConcurrency's default
SEGMENT_SECONDS = 120.0  # segmentSeconds' default
LAMBDA_MAX_TIMEOUT = 900
ESM_START, ESM_PER_MINUTE = 5, 300
LECTURES = {"90-minute": 90, "3-hour": 180}
GOAL_SECONDS = 120  # a 90-minute lecture's CSV within 2 minutes of the upload


def _segment_count(video_seconds: float, segment_seconds: float) -> int:
    from handler.video.timeline import segments

    return len(segments(video_seconds, segment_seconds))


def _rounds_time(count: int, concurrency: int, planner: float, segment: float, merge: float,
                 init: float) -> tuple[int, float, float]:
    """(rounds, planner + rounds x segment + merge, the event source's ramp-up to `concurrency`)."""
    rounds = math.ceil(count / concurrency)
    ramp = max(0, min(count, concurrency) - ESM_START) / ESM_PER_MINUTE * 60.0
    return rounds, planner + rounds * segment + merge, ramp


def project(measured: dict, stack_timeout: int, memory_mb: int = 3008, init_seconds: float = 0.0,
            also_concurrency: int | None = None) -> dict:
    """`measured`: planner_seconds, merge_seconds, segment_max/median (s), segment_length (s of
    video per measured segment), max_rss_mb, s3_mb_per_segment. Returns one entry per lecture,
    at 50 concurrent segments and, given `also_concurrency`, at that many (the dev stack's 8)."""
    from handler.settings import RecognitionSettings
    from infra.capacity import minimum_timeout

    max_minutes = RecognitionSettings().max_video_minutes
    factor = LOCAL_CORES / LAMBDA_VCPU
    smallest_timeout = minimum_timeout(SEGMENT_SECONDS)
    per_video_second = measured["segment_max"] / measured["segment_length"]
    segment = per_video_second * SEGMENT_SECONDS * factor  # one 120 s segment on Lambda, slowest
    median = measured["segment_median"] / measured["segment_length"] * SEGMENT_SECONDS * factor
    planner, merge = measured["planner_seconds"] * factor, measured["merge_seconds"] * factor
    out = {"vcpu_factor": factor, "segment_lambda_seconds": segment, "segment_lambda_median_seconds": median,
           "planner_lambda_seconds": planner, "merge_lambda_seconds": merge, "init_seconds": init_seconds,
           "concurrency": CONCURRENCY, "segment_seconds": SEGMENT_SECONDS, "smallest_timeout": smallest_timeout,
           "max_video_minutes": max_minutes, "lectures": {}}
    for label, minutes in LECTURES.items():
        count = _segment_count(minutes * 60.0, SEGMENT_SECONDS)
        rounds, core, ramp = _rounds_time(count, CONCURRENCY, planner, segment, merge, init_seconds)
        total = core + ramp + init_seconds
        longest_invocation = segment + merge  # the merging segment does both
        checks = {
            "planner within the timeout": planner <= stack_timeout,
            "slowest segment + merge within the stack's timeout": longest_invocation <= stack_timeout,
            "within Lambda's 900 s": max(planner, longest_invocation) <= LAMBDA_MAX_TIMEOUT,
            "peak memory within the function's": (measured.get("max_rss_mb") or 0) <= memory_mb,
            "length within maxVideoMinutes": minutes <= max_minutes,
        }
        out["lectures"][label] = {
            "minutes": minutes, "segments": count, "rounds": rounds, "time_seconds": core,
            "ramp_seconds": ramp, "total_seconds": total, "longest_invocation_seconds": longest_invocation,
            "checks": checks, "fits_smallest_timeout": longest_invocation <= smallest_timeout,
            "arithmetic": [
                f"{minutes} min = {minutes * 60:.0f} s / {SEGMENT_SECONDS:g} s = {count} segments; "
                f"rounds = ceil({count} / {CONCURRENCY}) = {rounds}",
                f"time ≈ planner {planner:.1f} + {rounds} x segment {segment:.1f} + merge {merge:.1f} = {core:.1f} s",
                f"  + event source ramp-up ({min(count, CONCURRENCY)} - {ESM_START}) / {ESM_PER_MINUTE} per min = "
                f"{ramp:.1f} s + first-round init {init_seconds:.1f} s = {total:.1f} s",
            ],
        }
        if also_concurrency and also_concurrency != CONCURRENCY:
            few, few_core, few_ramp = _rounds_time(count, also_concurrency, planner, segment, merge, init_seconds)
            few_total = few_core + few_ramp + init_seconds
            out["lectures"][label].update(also_concurrency=also_concurrency, also_total_seconds=few_total)
            out["lectures"][label]["arithmetic"].append(
                f"(at segmentConcurrency {also_concurrency}, the dev stack's for a new account: rounds = "
                f"ceil({count} / {also_concurrency}) = {few}; {planner:.1f} + {few} x {segment:.1f} + {merge:.1f} "
                f"+ ramp-up {few_ramp:.1f} + init {init_seconds:.1f} = {few_total:.1f} s)")
    goal = out["lectures"]["90-minute"]
    out["goal_90_minutes_met"] = goal["total_seconds"] <= GOAL_SECONDS
    out["limits_3_hours_met"] = all(out["lectures"]["3-hour"]["checks"].values())
    out["lines"] = _lines(out, measured, stack_timeout, memory_mb)
    return out


def _lines(out: dict, measured: dict, stack_timeout: int, memory_mb: int) -> list[str]:
    f, three = out["vcpu_factor"], out["lectures"]["3-hour"]
    lines = [
        f"per 120 s segment on Lambda: slowest measured {measured['segment_max']:.1f} s per "
        f"{measured['segment_length']:g} s of video ({measured.get('workers', 1)} worker, {LOCAL_CORES} cores) "
        f"x {SEGMENT_SECONDS:g} / {measured['segment_length']:g} x vCPU factor {LOCAL_CORES} / {LAMBDA_VCPU:.2f} = "
        f"{f:.2f} -> {out['segment_lambda_seconds']:.1f} s (median {out['segment_lambda_median_seconds']:.1f} s)",
        f"planner {measured['planner_seconds']:.2f} x {f:.2f} = {out['planner_lambda_seconds']:.1f} s; "
        f"merge (read partials, look up students, write the CSV) {measured['merge_seconds']:.2f} x {f:.2f} = "
        f"{out['merge_lambda_seconds']:.1f} s",
    ]
    for label, lecture in out["lectures"].items():
        lines.append(f"{label} lecture at {out['concurrency']} concurrent segments:")
        lines += [f"  {text}" for text in lecture["arithmetic"]]
    goal = out["lectures"]["90-minute"]["total_seconds"]
    spare = f"{GOAL_SECONDS - goal:.0f} s to spare" if goal <= GOAL_SECONDS else f"{goal - GOAL_SECONDS:.0f} s over"
    lines += [
        f"goal: a 90-minute lecture's CSV within {GOAL_SECONDS} s of the upload: {goal:.0f} s -> "
        f"{'MET' if out['goal_90_minutes_met'] else 'MISSED'} ({spare})",
        f"goal: a 3-hour lecture within Lambda's limits at every step -> "
        f"{'MET' if out['limits_3_hours_met'] else 'MISSED'}",
        f"  time: planner {out['planner_lambda_seconds']:.1f} s; longest invocation (the slowest segment that also "
        f"merges) {three['longest_invocation_seconds']:.1f} s vs the stack's timeout {stack_timeout} s and Lambda's "
        f"{LAMBDA_MAX_TIMEOUT} s; vs the smallest timeout the stack accepts at 120 s segments "
        f"({out['smallest_timeout']} s): {'fits' if three['fits_smallest_timeout'] else 'DOES NOT FIT'}",
        f"  memory: peak of a worker {measured.get('max_rss_mb') or 0:.0f} MB vs {memory_mb} MB",
        f"  /tmp: not used (a segment streams its part of the video with ranged GETs into memory; at most "
        f"{measured.get('s3_mb_per_segment', 0):.0f} MB read by one segment here)",
        f"  length: {three['minutes']} min vs maxVideoMinutes {out['max_video_minutes']:g}; {three['segments']} "
        f"segments in {three['rounds']} rounds of at most {out['concurrency']}",
    ]
    return lines
