"""`MlPlatform`: one component for a whole platform, dispatching to the cloud's modules."""

from __future__ import annotations

import importlib

import pulumi

from components.outputs import PlatformOutputs
from components.spec import PlatformSpec


class MlPlatform(pulumi.ComponentResource):
    """A complete ML platform from a validated `PlatformSpec`.

    Each cloud package (`components.aws`, `components.gcp`, `components.azure`)
    exposes ``build(name, spec, parent)`` that creates its components as
    children of this one and returns the stack outputs the training backends
    read (`components.outputs`: the same keys for the same things everywhere).
    """

    outputs: PlatformOutputs

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:index:MlPlatform", name, {"cloud": spec.cloud}, opts)
        self.spec = spec
        cloud = importlib.import_module(f"components.{spec.cloud}")
        self.outputs = cloud.build(name, spec, self)
        self.register_outputs(dict(self.outputs))
