"""`TrainingImage`: training/ built with its Dockerfile and pushed to the platform registry.

The tag is a sha256 of the build context's files (what `.dockerignore` leaves
in), computed here at plan time: unchanged code gives the same tag, so
`pulumi up` has nothing to rebuild and the immutable ECR repository never sees
a tag pushed twice; changed code gives a new tag. Pods use `ref`
(``<repository>:<tag>@sha256:<digest>``), so what runs is exactly what was
pushed, never a moving ``:latest``.

Registry sign-in is the deployer's own, short-lived: an ECR authorization
token, a Google OAuth access token (user ``oauth2accesstoken``), or on ACR,
whose admin user stays off, the Docker credentials `az acr login` leaves
(no ``username``: the provider uses the host's Docker config).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker_build as docker_build

CONTEXT = Path(__file__).resolve().parents[2] / "training"
"""The build context: the training code, its requirements and the Dockerfile."""
IMAGE_NAME = "pioneer-train"
"""The repository name inside a registry that holds many (Artifact Registry, ACR)."""
TAG_PREFIX = "src-"
PLATFORM = docker_build.Platform.LINUX_AMD64  # every GPU node pool pioneer builds is x86-64


def _ignore_patterns(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _ignored(rel: str, patterns: list[str]) -> bool:
    """The `.dockerignore` patterns pioneer uses: plain globs, and `**/x` for any depth."""
    parts = rel.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase("/".join(parts[i:]), tail) for i in range(len(parts))):
                return True
            if any(fnmatch.fnmatchcase(part, tail) for part in parts[:-1]):
                return True  # a directory at any depth
        elif fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(parts[0], pattern):
            return True
    return False


def context_files(context: Path = CONTEXT) -> list[Path]:
    """The files Docker sends as the build context, in a fixed order."""
    patterns = _ignore_patterns(context)
    files = (p for p in context.rglob("*") if p.is_file())
    return sorted(
        (p for p in files if not _ignored(p.relative_to(context).as_posix(), patterns)),
        key=lambda p: p.relative_to(context).as_posix(),
    )


def _location(path: Path) -> str:
    """Relative to the Pulumi project (the program's working directory) when inside it, so the
    image's inputs, and with them its diff, are the same on every deployer's machine."""
    try:
        return path.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return os.fspath(path)


def content_tag(context: Path = CONTEXT) -> str:
    """``src-`` and 20 hex digits of a sha256 over every context file's path and bytes."""
    if not (context / "Dockerfile").is_file():
        raise FileNotFoundError(f"image.build: no Dockerfile in the build context {context}")
    digest = hashlib.sha256()
    for path in context_files(context):
        digest.update(path.relative_to(context).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return TAG_PREFIX + digest.hexdigest()[:20]


@dataclass
class TrainingImageArgs:
    repository: pulumi.Input[str]
    """Where the image goes, without a tag (``<registry>/<path>/pioneer-train``)."""
    registry: pulumi.Input[str]
    """The registry host the credentials are for."""
    username: pulumi.Input[str] | None = None
    """With ``password``: the deployer's short-lived registry credentials; both None: the
    host's Docker credentials (`az acr login`)."""
    password: pulumi.Input[str] | None = None
    context: Path = CONTEXT


class TrainingImage(pulumi.ComponentResource):
    """The platform's training image; `ref` is what the cluster's training pods run."""

    tag: str
    ref: pulumi.Output[str]
    digest: pulumi.Output[str]

    def __init__(
        self, name: str, args: TrainingImageArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:k8s:TrainingImage", name, None, opts)
        self.tag = content_tag(args.context)
        tagged = pulumi.Output.concat(args.repository, ":", self.tag)
        registries = None
        if args.username is not None and args.password is not None:
            registries = [
                docker_build.RegistryArgs(
                    address=args.registry,
                    username=args.username,
                    password=pulumi.Output.secret(args.password),
                )
            ]
        self.image = docker_build.Image(
            f"{name}-image",
            context=docker_build.BuildContextArgs(location=_location(args.context)),
            dockerfile=docker_build.DockerfileArgs(location=_location(args.context / "Dockerfile")),
            tags=[tagged],
            platforms=[PLATFORM],
            push=True,
            # A preview needs no Docker daemon; `pulumi up` builds (and skips an unchanged tag).
            build_on_preview=False,
            registries=registries,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.digest = self.image.digest
        self.ref = pulumi.Output.concat(tagged, "@", self.image.digest)
        self.register_outputs({"ref": self.ref, "tag": self.tag})
