"""The base of every Azure component: one type token per part, `pioneer:azure:<Kind>`."""

from __future__ import annotations

from typing import ClassVar

import pulumi


class AzureComponent(pulumi.ComponentResource):
    """A pioneer Azure component. ``KIND`` names it in its type token and in its tags.

    The stack-wide tag transformation (`components.azure.tags`) reads ``KIND``
    from each resource's parent to fill the ``pioneer:component`` tag.
    """

    KIND: ClassVar[str] = "Component"

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"pioneer:azure:{self.KIND}", name, None, opts)

    def child(self, **extra: object) -> pulumi.ResourceOptions:
        """Options for a resource owned by this component (parent=self, plus `extra`)."""
        return pulumi.ResourceOptions(parent=self, **extra)  # type: ignore[arg-type]
