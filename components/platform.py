"""`MlPlatform`: one component for a whole platform, dispatching to the cloud's modules."""

from __future__ import annotations

import importlib
from typing import Any

import pulumi

from components.spec import PlatformSpec


class MlPlatform(pulumi.ComponentResource):
    """A complete ML platform from a validated `PlatformSpec`.

    Each cloud package (`components.aws`, `components.gcp`, `components.azure`)
    exposes ``build(name, spec, parent) -> dict`` that creates its resources as
    children of this component and returns the stack outputs the training
    backends read (bucket, roles, cluster, …).
    """

    outputs: dict[str, Any]

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:index:MlPlatform", name, {"cloud": spec.cloud}, opts)
        self.spec = spec
        cloud = importlib.import_module(f"components.{spec.cloud}")
        self.outputs = {"cloud": spec.cloud, "region": spec.region, **cloud.build(name, spec, self)}
        self.register_outputs(self.outputs)
