# The Smart Classroom handler as a Lambda container image (linux/amd64; built and pushed
# by `pulumi up`, see infra/image.py).
#
# Base: the AWS Lambda Python 3.12 image (Amazon Linux 2023, glibc 2.34), pinned to a
# dated tag so that a rebuild of unchanged code gives the same runtime. To move to a
# newer one, pick a tag from https://gallery.ecr.aws/lambda/python and change it in both
# FROM lines.

# Stage 1: dlib compiled from source against OpenBLAS, for AVX2 and FMA (every x86-64
# Lambda host has them). One face encoding then takes ~15 ms instead of the ~75 ms of the
# prebuilt dlib-bin wheel (no BLAS), with the same descriptors; without AVX2 its HOG
# detector would run 2.4x slower. The Makefile builds the same wheel for local runs.
# Amazon Linux 2023 locks its package repository to the release of the pinned base image
# (deterministic upgrades), so the packages below are pinned by the FROM lines.
FROM public.ecr.aws/lambda/python:3.12.2025.04.28.11 AS dlib-build
# hadolint ignore=DL3041
RUN dnf install -y gcc-c++ cmake openblas-devel \
    && dnf clean all \
    && CXXFLAGS="-mavx2 -mfma" CFLAGS="-mavx2 -mfma" \
        pip wheel --no-cache-dir --disable-pip-version-check --no-deps dlib==20.0.1 --wheel-dir /wheels

# Stage 2: the function. Only OpenBLAS's run-time library joins the base image's packages.
FROM public.ecr.aws/lambda/python:3.12.2025.04.28.11
# hadolint ignore=DL3041
RUN dnf install -y openblas && dnf clean all

# Dependencies first, so that a code-only change reuses this layer.
# Every package comes as a wheel: dlib from the stage above, the rest prebuilt, except
# face_recognition_models, which is published only as a pure-Python source archive of
# model files. Of its four models the handler loads two; the other two
# (shape_predictor_68_face_landmarks.dat, 99 MB, and mmod_human_face_detector.dat) are
# deleted in the same layer so that they never reach the image.
COPY --from=dlib-build /wheels /tmp/wheels
COPY handler/requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --disable-pip-version-check \
        --only-binary=:all: --no-binary=face_recognition_models --find-links /tmp/wheels \
        --requirement /tmp/requirements.txt --target "${LAMBDA_TASK_ROOT}" \
    && rm -rf /tmp/requirements.txt /tmp/wheels \
        "${LAMBDA_TASK_ROOT}/face_recognition_models/models/shape_predictor_68_face_landmarks.dat" \
        "${LAMBDA_TASK_ROOT}/face_recognition_models/models/mmod_human_face_detector.dat" \
    && test -f "${LAMBDA_TASK_ROOT}/face_recognition_models/models/shape_predictor_5_face_landmarks.dat" \
    && test -f "${LAMBDA_TASK_ROOT}/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"

# The handler package (tests and caches are kept out by .dockerignore).
COPY handler/ ${LAMBDA_TASK_ROOT}/handler/

# Work a cold start would otherwise repeat on Lambda's read-only file system: compile the
# handler's bytecode, and save dlib's HOG face detector in its file format beside the
# models (loading it takes 3 ms, building it 0.5 s; see handler/faces/detector.py).
RUN python3 -m compileall -q "${LAMBDA_TASK_ROOT}/handler" \
    && python3 -c "from handler.faces.detector import save_detector; print(save_detector())"

CMD ["handler.app.handler"]
