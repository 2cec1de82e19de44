"""A video's outcome written: the CSV, the evidence page, the error report, the message to the teacher."""
