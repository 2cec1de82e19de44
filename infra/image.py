"""Image: the ECR repository and the handler's container image, built and pushed by Pulumi.

Tags are a label, the digest is the identity. Each build is tagged with a hash of its source
(the Dockerfile and `handler/`, `source_tag`) so that a person can tell images apart in ECR,
and the Lambda runs the pushed *digest*, never the tag, so every build rolls out.

The repository's tags are MUTABLE on purpose. pulumi-docker (5.2, provider/provider.go
`hashContext`) decides whether to rebuild from its own hash of the build context: every file
the .dockerignore lets in, with its *file mode*, plus the Dockerfile. Matching it here would
mean reproducing Docker's ignore-file rules and Go's mode strings exactly, and would still not
cover a stack whose state was lost while ECR kept its images, or an update interrupted after
the push. Each of these (and a plain `chmod`) makes the provider rebuild and push under a
tag that already exists. With IMMUTABLE tags
ECR refuses that push and `pulumi up` fails; with MUTABLE tags the tag simply moves to the new
image and the function, pinned to the digest, follows the provider's output.

The build goes through the Docker Engine API's BuildKit (pulumi-docker's `docker.Image`), for
one platform, linux/amd64. That path requests no attestations (provenance and SBOM
attestations are added by the `docker buildx` client, which this build does not use), so the
pushed image is one manifest, as Lambda requires. pulumi-docker's
`get_registry_image_manifests` cannot check this after the push: it reads only manifest
lists and fails on the single manifest we want.
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

BUILDER = docker.BuilderVersion.BUILDER_BUILD_KIT
"""BuildKit through the Engine API: multi-stage caching, one platform, no attestation index."""

TAG_MUTABILITY = "MUTABLE"
"""Tags move on a rebuild of the same source; the function uses the digest (see above)."""

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
            image_tag_mutability=TAG_MUTABILITY,
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
                builder_version=BUILDER,
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
