"""The video's bytes and frames: ranged reads from S3, decoding by timestamp, what an invocation can afford, the timeline."""
