"""The Smart Classroom benchmark: `python -m bench --help`.

Measures, on this machine and pinned to one core, the handler against the original
algorithm (`bench.baseline`), against the least work that can answer (`bench.floor`), on
a built 60-second 1080p classroom video with a known answer (`bench.long_video`), and its
cold start and peak memory; and a whole generated lecture from upload to CSV on the local
stack, split into segments, with its projection to AWS Lambda (`bench.lecture`). See
bench/README.md.
"""
