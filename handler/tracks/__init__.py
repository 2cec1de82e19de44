"""Faces followed over time and named on evidence: tracking, identities, presence, one span's result and the merge."""
