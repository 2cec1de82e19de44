# The Smart Classroom handler as a Lambda container image (linux/amd64; built and pushed
# by `pulumi up`, see infra/image.py).
#
# Base: the AWS Lambda Python 3.12 image (Amazon Linux 2023, glibc 2.34), pinned to a
# dated tag so that a rebuild of unchanged code gives the same runtime. To move to a
# newer one, pick a tag from https://gallery.ecr.aws/lambda/python and change it here.
FROM public.ecr.aws/lambda/python:3.12.2025.04.28.11

# Dependencies first, so that a code-only change reuses this layer.
# Every package must come as a prebuilt wheel (dlib from dlib-bin: nothing is compiled),
# except face_recognition_models, which is published only as a pure-Python source
# archive of model files. Of its four models the handler loads two; the other two
# (shape_predictor_68_face_landmarks.dat, 99 MB, and mmod_human_face_detector.dat) are
# deleted in the same layer so that they never reach the image.
COPY handler/requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --disable-pip-version-check \
        --only-binary=:all: --no-binary=face_recognition_models \
        --requirement /tmp/requirements.txt --target "${LAMBDA_TASK_ROOT}" \
    && rm -f /tmp/requirements.txt \
        "${LAMBDA_TASK_ROOT}/face_recognition_models/models/shape_predictor_68_face_landmarks.dat" \
        "${LAMBDA_TASK_ROOT}/face_recognition_models/models/mmod_human_face_detector.dat" \
    && test -f "${LAMBDA_TASK_ROOT}/face_recognition_models/models/shape_predictor_5_face_landmarks.dat" \
    && test -f "${LAMBDA_TASK_ROOT}/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"

# The handler package (tests and caches are kept out by .dockerignore).
COPY handler/ ${LAMBDA_TASK_ROOT}/handler/

# Work a cold start would otherwise repeat on Lambda's read-only file system: compile the
# handler's bytecode, and save dlib's HOG face detector in its file format beside the
# models (loading it takes 3 ms, building it 0.5 s; see handler/faces.py).
RUN python3 -m compileall -q "${LAMBDA_TASK_ROOT}/handler" \
    && python3 -c "from handler.faces import save_detector; print(save_detector())"

CMD ["handler.app.handler"]
