"""The Lambda: S3 upload event → recognised students → CSV (or an error report).

One folder per stage, each importing only the ones before it: video → faces → tracks →
attendance → results → segments → intake, with app.py (the events' shapes) at the door and
settings, events, failures, aws and logs shared by all (README, Layout)."""
import os

# FFmpeg inside OpenCV reports every damaged packet on stderr; the handler reports the
# video's fate itself, in one JSON line. Set before cv2 is first imported.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
# dlib's encoder calls OpenBLAS for small matrices: its own threads gain ~10 % alone and,
# beside the detection threads and the decoder, spin against them (20× slower measured).
# Set before numpy or dlib load OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
