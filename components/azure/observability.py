"""Observability: a Log Analytics workspace and the workspace-based Application Insights
component Azure ML requires."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent

RETENTION_DAYS = 30  # the free retention window of Log Analytics


@dataclass
class ObservabilityArgs:
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""


class Observability(AzureComponent):
    KIND = "Observability"

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(name, opts)
        resource_group_name = args.resource_group_name
        self.log_analytics = azure_native.operationalinsights.Workspace(
            f"{name}-logs",
            sku={"name": "PerGB2018"},
            retention_in_days=RETENTION_DAYS,
            opts=self.child(),
            resource_group_name=resource_group_name,
            location=args.location,
        )
        self.app_insights = azure_native.applicationinsights.Component(
            f"{name}-appinsights",
            kind="web",
            application_type="web",
            ingestion_mode="LogAnalytics",
            workspace_resource_id=self.log_analytics.id,
            # Telemetry only with Entra ID tokens, not with the instrumentation key alone.
            disable_local_auth=True,
            opts=self.child(),
            resource_group_name=resource_group_name,
            location=args.location,
        )
        self.register_outputs(
            {"log_analytics_id": self.log_analytics.id, "app_insights_id": self.app_insights.id}
        )
