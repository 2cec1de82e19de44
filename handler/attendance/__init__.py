"""Presence + student records + the course list → the attendance sheet."""
