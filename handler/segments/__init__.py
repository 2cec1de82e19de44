"""A long video split, fanned out and merged once: the queue's messages, the jobs table, one segment's run."""
