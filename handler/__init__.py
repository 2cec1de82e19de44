"""The Lambda: S3 upload event → recognised students → CSV (or an error report)."""
