"""Run the real Pulumi program (`__main__.py`) under Pulumi's unit-test mocks.

No CLI, no cloud, no Docker: the mock monitor records every resource the program
declares (type, name, resolved inputs, parent, dependencies) and answers with plausible
outputs (ARNs, URLs, an image digest), so the tests can assert on the resource graph.
"""
from __future__ import annotations

import json
import logging
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy
import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from tests.infra.program import Program, Recorded

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROJECT = "smart-classroom"
STACK = "dev"
REGION = "us-east-1"
ACCOUNT = "123456789012"
DIGEST = "sha256:" + "ab" * 32

STUDENTS = [
    {"id": 1, "name": "ada_lovelace", "major": "Mathematics", "year": "Senior"},
    {"id": 2, "name": "alan_turing", "major": "Computer Science", "year": "Junior"},
    {"id": 3, "name": "grace_hopper", "major": "Physics", "year": 2026},
]


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and provider calls with AWS-shaped values."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        outputs = dict(inputs)
        resource_id = f"{args.name}-id"
        typ = args.typ
        if typ == "aws:s3/bucket:Bucket":
            resource_id = inputs["bucket"]
            outputs["arn"] = f"arn:aws:s3:::{inputs['bucket']}"
        elif typ == "aws:iam/role:Role":
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{args.name}"
            resource_id = args.name
        elif typ == "aws:sqs/queue:Queue":
            queue_name = inputs.get("name") or f"{args.name}-1234567"  # as AWS names a queue without one
            outputs["name"] = queue_name
            outputs["arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"
            outputs["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{queue_name}"
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{inputs['name']}"
        elif typ == "aws:dynamodb/table:Table":
            resource_id = inputs["name"]
            outputs["arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{inputs['name']}"
        elif typ == "aws:ecr/repository:Repository":
            outputs["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{inputs['name']}"
            outputs["registryId"] = ACCOUNT
            outputs["arn"] = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{inputs['name']}"
        elif typ == "docker:index/image:Image":
            repository = inputs["imageName"].rsplit(":", 1)[0]
            outputs["repoDigest"] = f"{repository}@{DIGEST}"
            outputs["baseImageName"] = inputs["imageName"]
        elif typ == "aws:lambda/function:Function":
            resource_id = inputs["name"]
            outputs["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{inputs['name']}"
        elif typ == "aws:sns/topic:Topic":
            outputs["arn"] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{inputs['name']}"
        elif typ == "aws:s3/bucketObjectv2:BucketObjectv2":
            outputs["arn"] = f"arn:aws:s3:::{inputs['bucket']}/{inputs['key']}"
        return resource_id, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
                "authorizationToken": "QVdTOnBhc3N3b3Jk",
                "expiresAt": "2030-01-01T00:00:00Z",
                "id": REGION,
                "password": "password",
                "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com",
                "userName": "AWS",
            }, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/tester",
                "id": ACCOUNT,
                "userId": "AIDATESTER",
            }, []
        raise AssertionError(f"the program made an unexpected provider call: {args.token}")


class RecordingMonitor(MockMonitor):
    """The mock monitor, also keeping each registration's parent and dependencies."""

    def __init__(self, mocks: RecordingMocks, into: Program) -> None:
        super().__init__(mocks)
        self.registered = into.resources
        self.calls = into.calls

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registration = self.resources[response.urn]
            inputs = rpc.deserialize_properties(request.object)
            secret = {key for key, value in inputs.items() if rpc.is_rpc_secret(value)}
            self.registered.append(
                Recorded(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs={k: rpc.unwrap_rpc_secret(v) for k, v in inputs.items()},
                    outputs=dict(registration.state),
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    custom=request.custom,
                    secret_inputs=secret,
                )
            )
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.calls.append(request.tok)
        return super().Invoke(request)


def stack_config(values: dict[str, str]) -> dict[str, str]:
    """Project keys as Pulumi passes them to the program (namespaced), plus the region."""
    return {"aws:region": REGION, **{f"{PROJECT}:{k}": v for k, v in values.items()}}


class _WarningsToList(logging.Handler):
    """Keeps the engine's warnings (e.g. "X is deprecated") for the tests to check."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def run_program(values: dict[str, str], stack: str = STACK, into: Program | None = None) -> Program:
    """Run `__main__.py` once under fresh mocks with this config; return what it declared.

    Pass `into` to inspect what a failing run had declared before it failed.
    """
    program = into if into is not None else Program()
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks, program)
    logger = logging.getLogger(f"{__name__}.engine")
    logger.propagate = False
    logger.handlers[:] = [_WarningsToList(program.warnings)]
    pulumi.runtime.set_all_config(stack_config(values))
    pulumi_settings.ROOT.set(None)  # a fresh root stack, so exports do not carry over
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, logger=logger, monitor=monitor
    )

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        assert root is not None
        return pulumi.Output.all(**root.outputs).apply(program.exports.update)

    run()
    return program


def pytest_configure(config: pytest.Config) -> None:
    """Silence pulumi_aws's import-time notices about resources this program does not use.

    Importing `pulumi_aws.s3` or `pulumi_aws.lambda_` warns about every deprecated class
    in them (BucketV2, MicrovmsImage, ...); only pulumi_aws's own modules are filtered.
    Deprecations the program itself would trigger are caught by the engine-warning test.
    """
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:.* has been deprecated in favor of .*:DeprecationWarning:pulumi_aws",
    )


@pytest.fixture
def students() -> list[dict[str, Any]]:
    """The student records the test data files hold."""
    return [dict(s) for s in STUDENTS]


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small students file and a tiny roster, written where the config points."""
    folder = tmp_path_factory.mktemp("data")
    students = folder / "students.json"
    students.write_text(json.dumps(STUDENTS), encoding="utf-8")
    roster = folder / "roster.npz"
    numpy.savez(roster, names=numpy.array([s["name"] for s in STUDENTS]), encodings=numpy.zeros((3, 128)))
    return {"studentsFile": str(students), "rosterFile": str(roster)}


@pytest.fixture(scope="module")
def dev_values(data_files: dict[str, str]) -> dict[str, str]:
    """A dev-like stack config, as a user would set it with `pulumi config set`."""
    return {
        "inputBucket": "smart-classroom-dev-input-test",
        "outputBucket": "smart-classroom-dev-output-test",
        "recognitionMode": "all",
        "framesPerSecond": "2",
        "matchTolerance": "0.55",
        "memorySize": "3008",
        "timeout": "300",
        "ephemeralStorage": "2048",
        "reservedConcurrency": "5",
        "segmentConcurrency": "4",  # the most a reservation of 5 allows: one is kept for planning
        "logRetentionDays": "7",
        "forceDestroy": "true",
        **data_files,
    }


def _reset_pulumi() -> None:
    pulumi.runtime.set_all_config({})
    pulumi_settings.ROOT.set(None)


@pytest.fixture
def program_runner() -> Iterator[Callable[..., Program]]:
    """`run_program`, with Pulumi's global config put back afterwards."""
    yield run_program
    _reset_pulumi()


@pytest.fixture
def new_program() -> Callable[[], Program]:
    """An empty Program to pass as `into`, to see what a failing run declared."""
    return Program


@pytest.fixture(scope="module")
def dev_program(dev_values: dict[str, str]) -> Iterator[Program]:
    """The program run once (per test module) with the dev-like config."""
    yield run_program(dev_values)
    _reset_pulumi()
