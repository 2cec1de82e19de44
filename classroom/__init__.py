"""Smart Classroom command-line tool: rosters, the local stack, the workload and demo data."""
