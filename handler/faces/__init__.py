"""Pixels → faces → who they are: the detector and encoder, the roster, enrolment, the face kept as evidence."""
