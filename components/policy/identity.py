"""Identity rules: least privilege (no `*` actions or resources), no primitive or owner roles,
nothing granted at subscription scope, and no long-lived keys."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path

from components.policy.model import Resource, Rule, as_bool, as_list, each, get, parse_json, short

AWS_POLICY_DOCS = {  # type -> input holding a policy document
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
AWS_ROLE = "aws:iam/role:Role"
AWS_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
AZ_ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
AZ_ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
AZ_STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
AZ_REGISTRY = "azure-native:containerregistry:Registry"
LONG_LIVED_KEYS = {
    "aws:iam/accessKey:AccessKey": "an IAM user access key",
    "gcp:serviceaccount/key:Key": "a service-account key",
    "gcp:storage/hmacKey:HmacKey": "a Cloud Storage HMAC key",
}

# AWS managed policies that grant `service:*` (or `*`) on every resource.
ADMIN_POLICY = re.compile(
    r"arn:aws[\w-]*:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|\w*FullAccess)$"
)
GCP_PRIMITIVE_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
# Azure built-in roles as broad as GCP's primitive ones (ids are the same in every tenant).
AZ_BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
SUBSCRIPTION_SCOPE = re.compile(
    r"^/$|^/subscriptions/[^/]+/?$|^/providers/Microsoft\.Management/managementGroups/[^/]+/?$",
    re.I,
)

# Actions AWS cannot scope to a resource ARN, so "Resource": "*" is the only way to grant them.
# The AWS components keep theirs in components/aws/iam_allowlist.py; this is the fallback.
DEFAULT_WILDCARD_RESOURCE_ACTIONS: tuple[str, ...] = (
    "ecr:GetAuthorizationToken",
    "sts:GetCallerIdentity",
    "cloudwatch:PutMetricData",
    "logs:DescribeLogGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeDhcpOptions",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "sagemaker:ListTags",
)


def wildcard_resource_actions() -> tuple[str, ...]:
    """The AWS engineer's allow-list when it exists, else ours.

    Loaded from its file rather than imported: importing `components.aws` pulls in
    pulumi_aws, which the policy pack's own environment does not have.
    """
    path = Path(__file__).resolve().parent.parent / "aws" / "iam_allowlist.py"
    if path.is_file():
        spec = importlib.util.spec_from_file_location("_pioneer_iam_allowlist", path)
        if spec and spec.loader:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            actions = getattr(module, "WILDCARD_RESOURCE_ACTIONS", None)
            if actions:
                return tuple(actions)
    return DEFAULT_WILDCARD_RESOURCE_ACTIONS


ALLOWED_WILDCARD_RESOURCE_ACTIONS = wildcard_resource_actions()


def policy_documents(r: Resource) -> list[tuple[str, object]]:
    """(where, document) for every AWS identity policy document a resource carries."""
    if r.type in AWS_POLICY_DOCS:
        return [(AWS_POLICY_DOCS[r.type], parse_json(r.get(AWS_POLICY_DOCS[r.type])))]
    if r.type == AWS_ROLE:
        return [
            (f"inlinePolicies[{i}]", parse_json(p.get("policy")))
            for i, p in enumerate(each(as_list(r.get("inlinePolicies"))))
        ]
    return []


def allow_statements(document: object) -> list[dict]:
    return [
        dict(s)
        for s in each(as_list(get(document, "Statement")))
        if s.get("Effect", "Allow") == "Allow"
    ]


def is_wildcard_action(action: object) -> bool:
    return isinstance(action, str) and (action == "*" or action.endswith(":*"))


def _no_wildcard_actions(r: Resource) -> Iterator[str]:
    for where, doc in policy_documents(r):
        for i, st in enumerate(allow_statements(doc)):
            wild = [a for a in as_list(st.get("Action")) if is_wildcard_action(a)]
            if wild:
                yield f"{short(r)} {where} statement {i} allows {', '.join(map(str, wild))}"
            if st.get("NotAction") is not None:
                yield f"{short(r)} {where} statement {i} allows everything except NotAction"
    if r.type == AWS_ROLE or r.type in AWS_ATTACHMENTS:
        arns = as_list(r.get("managedPolicyArns")) + as_list(r.get("policyArn"))
        for arn in arns:
            if isinstance(arn, str) and ADMIN_POLICY.match(arn):
                yield f"{short(r)} attaches {arn.rsplit('/', 1)[-1]}, which allows service-wide '*'"
    if r.type == AZ_ROLE_DEFINITION:
        for perm in each(as_list(r.get("permissions"))):
            wild = [
                a for key in ("actions", "dataActions") for a in as_list(perm.get(key)) if a == "*"
            ]
            if wild:
                yield f"{short(r)} defines a role with actions '*'"


NO_WILDCARD_ACTIONS = Rule(
    id="identity-no-wildcard-actions",
    severity="mandatory",
    area="identity",
    description="No identity policy allows `*` or `service:*` actions (nor AdministratorAccess, "
    "PowerUserAccess or *FullAccess managed policies, nor Azure custom roles with `*`).",
    fix="List the exact actions the workload calls (e.g. s3:GetObject, s3:PutObject) and attach "
    "scoped policies instead of *FullAccess ones.",
    types=frozenset((*AWS_POLICY_DOCS, AWS_ROLE, *AWS_ATTACHMENTS, AZ_ROLE_DEFINITION)),
    check_resource=_no_wildcard_actions,
)


def _allow_listed(action: object) -> bool:
    return isinstance(action, str) and any(
        fnmatchcase(action.lower(), allowed.lower())
        for allowed in ALLOWED_WILDCARD_RESOURCE_ACTIONS
    )


def _no_wildcard_resources(r: Resource) -> Iterator[str]:
    for where, doc in policy_documents(r):
        for i, st in enumerate(allow_statements(doc)):
            if st.get("NotResource") is not None:
                yield f"{short(r)} {where} statement {i} applies to every resource except NotResource"
            if "*" not in as_list(st.get("Resource")):
                continue
            beyond = [a for a in as_list(st.get("Action")) if not _allow_listed(a)]
            if beyond:
                yield (
                    f"{short(r)} {where} statement {i} grants {', '.join(map(str, beyond[:4]))}"
                    f"{' …' if len(beyond) > 4 else ''} on Resource '*'"
                )


NO_WILDCARD_RESOURCES = Rule(
    id="identity-no-wildcard-resources",
    severity="mandatory",
    area="identity",
    description="No identity policy grants actions on Resource `*`, except the short allow-list of "
    "actions AWS cannot scope (ecr:GetAuthorizationToken, ec2:Describe…).",
    fix="Name the bucket, key, repository or log group ARNs in Resource; only actions in "
    "WILDCARD_RESOURCE_ACTIONS may use '*'.",
    types=frozenset((*AWS_POLICY_DOCS, AWS_ROLE)),
    check_resource=_no_wildcard_resources,
)


def _is_gcp_iam(resource_type: str) -> bool:
    kind = resource_type.rsplit(":", 1)[-1].lower()
    return resource_type.startswith("gcp:") and any(
        kind.endswith(s) for s in ("iammember", "iambinding", "iampolicy")
    )


def _no_primitive_roles(r: Resource) -> Iterator[str]:
    if _is_gcp_iam(r.type):
        roles = as_list(r.get("role")) + [
            b.get("role") for b in each(as_list(get(r.get("policyData"), "bindings")))
        ]
        for role in roles:
            if role in GCP_PRIMITIVE_ROLES:
                yield f"{short(r)} grants the primitive role {role}"
    elif r.type == AZ_ROLE_ASSIGNMENT:
        definition = str(r.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        if definition in AZ_BROAD_ROLES:
            yield f"{short(r)} assigns the built-in {AZ_BROAD_ROLES[definition]} role"


NO_PRIMITIVE_ROLES = Rule(
    id="identity-no-primitive-roles",
    severity="mandatory",
    area="identity",
    description="No GCP primitive roles (roles/owner, roles/editor, roles/viewer) and no Azure "
    "Owner, Contributor or User Access Administrator assignments.",
    fix="Grant predefined narrow roles (roles/storage.objectAdmin on the bucket, Storage Blob Data "
    "Contributor on the container, AcrPull on the registry).",
    check_resource=_no_primitive_roles,
)


def _no_subscription_scope(r: Resource) -> Iterator[str]:
    scope = r.get("scope")
    if isinstance(scope, str) and SUBSCRIPTION_SCOPE.match(scope):
        yield f"{short(r)} is scoped to {scope}; scope it to the resource group or the resource"


NO_SUBSCRIPTION_SCOPE = Rule(
    id="identity-no-subscription-scope",
    severity="mandatory",
    area="identity",
    description="No Azure role assignment at subscription (or management-group) scope.",
    fix="Set scope to the storage account / container / registry id the identity needs.",
    types=frozenset({AZ_ROLE_ASSIGNMENT}),
    check_resource=_no_subscription_scope,
)


def _no_long_lived_keys(r: Resource) -> Iterator[str]:
    if r.type in LONG_LIVED_KEYS:
        yield f"{short(r)} creates {LONG_LIVED_KEYS[r.type]}, a long-lived secret"
    elif r.type == AZ_REGISTRY and as_bool(r.get("adminUserEnabled")) is True:
        yield f"{short(r)} enables the registry admin user (a shared long-lived password)"


NO_LONG_LIVED_KEYS = Rule(
    id="identity-no-long-lived-keys",
    severity="mandatory",
    area="identity",
    description="No long-lived credentials: IAM access keys, service-account keys, HMAC keys, "
    "registry admin users.",
    fix="Use roles and workload identity (IRSA / GKE Workload Identity / Azure managed identities); "
    "disable the ACR admin user.",
    types=frozenset((*LONG_LIVED_KEYS, AZ_REGISTRY)),
    check_resource=_no_long_lived_keys,
)


def _shared_key(r: Resource) -> Iterator[str]:
    if as_bool(r.get("allowSharedKeyAccess")) is not False:
        yield f"{short(r)} allows shared-key (account key) access"


STORAGE_SHARED_KEY = Rule(
    id="identity-storage-shared-key",
    severity="advisory",
    area="identity",
    description="Azure storage accounts refuse shared-key access, so only Entra ID identities get in.",
    fix="allow_shared_key_access=False (where every client of the account supports Entra ID).",
    types=frozenset({AZ_STORAGE_ACCOUNT}),
    check_resource=_shared_key,
)

RULES: tuple[Rule, ...] = (
    NO_WILDCARD_ACTIONS,
    NO_WILDCARD_RESOURCES,
    NO_PRIMITIVE_ROLES,
    NO_SUBSCRIPTION_SCOPE,
    NO_LONG_LIVED_KEYS,
    STORAGE_SHARED_KEY,
)
