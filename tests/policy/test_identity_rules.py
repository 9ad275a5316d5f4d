"""Identity rules: least privilege, no primitive roles, no subscription scope, no long-lived keys."""

from __future__ import annotations

import json

import pytest

from components.policy.identity import ALLOWED_WILDCARD_RESOURCE_ACTIONS
from tests.policy.helpers import findings, res

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_ARN = "arn:aws:s3:::mlp-data"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


SCOPED = policy(
    allow(["s3:GetObject", "s3:PutObject"], [f"{BUCKET_ARN}/*"]),
    allow("ecr:GetAuthorizationToken", "*"),
)


# ---- identity-no-wildcard-actions -----------------------------------------------------------


def test_scoped_policy_passes_both_wildcard_rules():
    r = res(ROLE_POLICY, "p", {"role": "r", "policy": SCOPED})
    assert findings("identity-no-wildcard-actions", r) == []
    assert findings("identity-no-wildcard-resources", r) == []


@pytest.mark.parametrize("action", ["*", "s3:*", ["s3:GetObject", "iam:*"]])
def test_wildcard_actions_fail(action):
    r = res(ROLE_POLICY, "p", {"policy": policy(allow(action, BUCKET_ARN))})
    msgs = findings("identity-no-wildcard-actions", r)
    assert len(msgs) == 1 and "statement 0" in msgs[0]


def test_partial_wildcards_and_deny_statements_are_allowed():
    doc = policy(
        allow("s3:Get*", BUCKET_ARN),
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    assert findings("identity-no-wildcard-actions", res(ROLE_POLICY, "p", {"policy": doc})) == []


def test_not_action_in_allow_fails():
    doc = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": BUCKET_ARN})
    assert findings(
        "identity-no-wildcard-actions", res("aws:iam/policy:Policy", "p", {"policy": doc})
    )


def test_inline_role_policies_are_checked():
    role = res(
        "aws:iam/role:Role",
        "r",
        {
            "inlinePolicies": [
                {"name": "ok", "policy": SCOPED},
                {"name": "bad", "policy": policy(allow("*", "*"))},
            ]
        },
    )
    msgs = findings("identity-no-wildcard-actions", role)
    assert len(msgs) == 1 and "inlinePolicies[1]" in msgs[0]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    ],
)
def test_admin_managed_policies_fail(arn):
    attach = res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {"role": "r", "policyArn": arn}
    )
    assert findings("identity-no-wildcard-actions", attach)


def test_node_managed_policies_pass():
    attach = res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "a",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    )
    assert findings("identity-no-wildcard-actions", attach) == []


def test_azure_custom_role_with_star_fails():
    definition = "azure-native:authorization:RoleDefinition"
    assert findings(
        "identity-no-wildcard-actions", res(definition, "d", {"permissions": [{"actions": ["*"]}]})
    )
    assert (
        findings(
            "identity-no-wildcard-actions",
            res(
                definition,
                "d",
                {"permissions": [{"actions": ["Microsoft.Storage/storageAccounts/read"]}]},
            ),
        )
        == []
    )


# ---- identity-no-wildcard-resources ---------------------------------------------------------


def test_star_resource_beyond_allow_list_fails_and_names_the_action():
    r = res(
        ROLE_POLICY,
        "p",
        {"policy": policy(allow(["s3:GetObject", "ecr:GetAuthorizationToken"], "*"))},
    )
    msgs = findings("identity-no-wildcard-resources", r)
    assert (
        len(msgs) == 1 and "s3:GetObject" in msgs[0] and "ecr:GetAuthorizationToken" not in msgs[0]
    )


def test_every_allow_listed_action_may_use_star():
    r = res(
        ROLE_POLICY, "p", {"policy": policy(allow(sorted(ALLOWED_WILDCARD_RESOURCE_ACTIONS), "*"))}
    )
    assert findings("identity-no-wildcard-resources", r) == []


def test_allow_list_comes_from_the_aws_components_when_present():
    from pathlib import Path

    path = Path("components/aws/iam_allowlist.py")
    if not path.exists():
        pytest.skip("components/aws/iam_allowlist.py not present: the fallback list is in use")
    from components.aws.iam_allowlist import WILDCARD_RESOURCE_ACTIONS

    assert set(ALLOWED_WILDCARD_RESOURCE_ACTIONS) == set(WILDCARD_RESOURCE_ACTIONS)


def test_not_resource_fails():
    doc = policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": BUCKET_ARN})
    assert findings("identity-no-wildcard-resources", res(ROLE_POLICY, "p", {"policy": doc}))


# ---- identity-no-primitive-roles ------------------------------------------------------------


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor", "roles/viewer"])
def test_gcp_primitive_roles_fail(role):
    member = res(
        "gcp:projects/iAMMember:IAMMember",
        "m",
        {"project": "p", "role": role, "member": "serviceAccount:a@p.iam.gserviceaccount.com"},
    )
    assert findings("identity-no-primitive-roles", member) == [
        f"IAMMember 'm' grants the primitive role {role}"
    ]


def test_gcp_predefined_roles_and_policy_documents():
    ok = res(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "m",
        {"bucket": "b", "role": "roles/storage.objectAdmin", "member": "serviceAccount:a@p.iam"},
    )
    assert findings("identity-no-primitive-roles", ok) == []
    iam_policy = res(
        "gcp:projects/iAMPolicy:IAMPolicy",
        "pol",
        {
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/editor", "members": ["user:x@example.com"]}]}
            )
        },
    )
    assert findings("identity-no-primitive-roles", iam_policy)


def test_azure_owner_and_contributor_assignments_fail():
    assignment = "azure-native:authorization:RoleAssignment"
    scope = "/subscriptions/s/resourceGroups/rg"
    owner = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    blob = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    assert (
        "Owner"
        in findings(
            "identity-no-primitive-roles",
            res(assignment, "a", {"roleDefinitionId": owner, "scope": scope}),
        )[0]
    )
    assert (
        findings(
            "identity-no-primitive-roles",
            res(assignment, "a", {"roleDefinitionId": blob, "scope": scope}),
        )
        == []
    )


# ---- identity-no-subscription-scope ---------------------------------------------------------


@pytest.mark.parametrize(
    "scope,bad",
    [
        ("/subscriptions/00000000-0000-0000-0000-000000000000", True),
        ("/subscriptions/00000000-0000-0000-0000-000000000000/", True),
        ("/providers/Microsoft.Management/managementGroups/root", True),
        ("/subscriptions/0000/resourceGroups/rg", False),
        (
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
            False,
        ),
    ],
)
def test_subscription_scope(scope, bad):
    r = res("azure-native:authorization:RoleAssignment", "a", {"scope": scope, "principalId": "p"})
    assert bool(findings("identity-no-subscription-scope", r)) is bad


# ---- identity-no-long-lived-keys ------------------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    ["aws:iam/accessKey:AccessKey", "gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey"],
)
def test_key_resources_fail(type_):
    assert findings("identity-no-long-lived-keys", res(type_, "k", {}))


def test_registry_admin_user():
    registry = "azure-native:containerregistry:Registry"
    assert findings("identity-no-long-lived-keys", res(registry, "acr", {"adminUserEnabled": True}))
    assert (
        findings("identity-no-long-lived-keys", res(registry, "acr", {"adminUserEnabled": False}))
        == []
    )


def test_roles_and_service_accounts_are_not_keys():
    assert (
        findings(
            "identity-no-long-lived-keys",
            res("aws:iam/role:Role", "r", {}),
            res("gcp:serviceaccount/account:Account", "sa", {"accountId": "train"}),
        )
        == []
    )


# ---- identity-storage-shared-key (advisory) -------------------------------------------------


def test_shared_key_access():
    account = "azure-native:storage:StorageAccount"
    assert (
        findings("identity-storage-shared-key", res(account, "a", {"allowSharedKeyAccess": False}))
        == []
    )
    assert findings("identity-storage-shared-key", res(account, "a", {}))
