"""Image: the ECR repository and the handler's container image, built and pushed by Pulumi.

The repository's tags are immutable, so each build is tagged with a hash of what goes
into the image (the Dockerfile and `handler/`): an unchanged source keeps its tag and is
not rebuilt, a changed one gets a new tag. The Lambda uses the pushed digest, never the
tag, so every code change rolls out.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

PLATFORM = "linux/amd64"
"""What the image is built for; the function's architecture (x86_64) must match it."""

KEEP_IMAGES = 5
"""Images the lifecycle policy keeps, so recent versions stay available for a rollback."""

# What the build reads: the Dockerfile, its ignore file and the handler package.
# Caches are skipped (they never reach the image, see .dockerignore).
_SOURCE_FILES = ("Dockerfile", ".dockerignore")
_SOURCE_DIRS = ("handler",)
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def source_tag(project_dir: Path) -> str:
    """A tag naming the image's source: the first 16 hex digits of a hash over its files."""
    digest = hashlib.sha256()
    paths = [project_dir / name for name in _SOURCE_FILES]
    for directory in _SOURCE_DIRS:
        paths.extend(sorted((project_dir / directory).rglob("*")))
    for path in paths:
        relative = path.relative_to(project_dir)
        if not path.is_file() or _SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc":
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"src-{digest.hexdigest()[:16]}"


def lifecycle_policy(keep: int) -> str:
    """An ECR lifecycle policy expiring all but the newest `keep` images."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Keep the last {keep} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


@dataclass(frozen=True)
class ImageArgs:
    """Where to push, what to build (paths relative to the project directory) and its tag."""

    repository_name: str
    tag: str
    force_destroy: bool
    context: str = "."
    dockerfile: str = "Dockerfile"
    keep_images: int = KEEP_IMAGES


class HandlerImage(pulumi.ComponentResource):
    """The ECR repository and the image built from the Dockerfile and pushed to it."""

    repository: aws.ecr.Repository
    image: docker.Image
    digest: pulumi.Output[str]
    """`<repository url>@sha256:...`: what the Lambda runs."""

    def __init__(self, name: str, args: ImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smart-classroom:image:HandlerImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            force_delete=args.force_destroy,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-keep-recent",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.image = docker.Image(
            name,
            image_name=self.repository.repository_url.apply(lambda url: f"{url}:{args.tag}"),
            build=docker.DockerBuildArgs(
                context=args.context,
                dockerfile=args.dockerfile,
                platform=PLATFORM,
            ),
            registry=docker.RegistryArgs(
                server=self.repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )
        self.digest = self.image.repo_digest
        self.register_outputs({"repository_url": self.repository.repository_url, "digest": self.digest})
