"""An upload → its outcome: read at once or planned; uploads Lambda gave up on reported."""
