"""What the function's segment queue and jobs table look like to the handler: key names,
attempts, message shape. The Pulumi program and the local stack build both from these
(through infra.contract), so the three never disagree."""
from __future__ import annotations

JOBS_PARTITION_KEY = "pk"
JOBS_SORT_KEY = "sk"
"""The jobs table's keys, both strings: one item per job (`job#<id>`, `job`), one per
finished segment (`job#<id>`, `segment#00012`), one per video key (`video#<bucket>/<key>`,
`latest`)."""

JOBS_EXPIRY_ATTRIBUTE = "expires_at"
"""Epoch seconds after which DynamoDB's TTL removes an item: a job's leftovers never pile up."""

SEGMENT_ATTEMPTS = 3
"""Times a segment is tried. A message received more often than this is not tried again: the
handler ends the video in an error report that names the segment's time range."""

SEGMENT_MAX_RECEIVES = SEGMENT_ATTEMPTS + 2
"""The segment queue's maxReceiveCount: one receive beyond SEGMENT_ATTEMPTS to write the
error report (a killed attempt cannot write one), one more in case that write fails."""

SEGMENT_RETRY_SLACK_SECONDS = 30
"""The segment queue's visibility timeout is the function's timeout plus this: a segment
whose invocation was killed comes back once Lambda has certainly given up on it."""

PLANNED_SECONDS_PER_VIDEO_SECOND = 0.25
"""Compute time one segment may need per second of video, for planning: 4x real time. The
bench measured about 0.1 s per second of a 1080p classroom (30 faces, 2 cores, 10.6x real
time); a quarter second leaves room for fewer vCPUs and busier scenes. The stack refuses a
timeout too short for one segment at this rate, and the handler splits with it."""

PLANNING_ALLOWANCE_SECONDS = 30
"""Time kept for opening the video, the roster, the merge and writing the result."""
