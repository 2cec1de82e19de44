"""The Smart Classroom stack, one module per concern, in the order of the architecture:

config (validated settings; capacity: the rules across keys) -> storage (buckets, roster) ->
table (students, with one item per course) -> segments (jobs table) -> notifications (results topic,
e-mail subscriptions) -> image (ECR, container build) -> segments (segment queue) ->
function (Lambda, role, logs, dead-letter queue) -> segments (the queue's consumer) ->
trigger (S3 notification). `__main__.py` wires them together.

`infra.config` does not need a Pulumi engine: the local stack imports it too. Keep this
file free of imports so that importing `infra.config` stays light.
"""
