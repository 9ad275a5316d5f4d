"""The CrossGuard entry point: `pulumi preview --policy-pack policypack`.

All logic lives in `crossguard.py` (importable and tested without pulumi-policy)
and in `components/policy` (the rules themselves). `PolicyPack(...)` starts the
analyzer's gRPC server and blocks, so nothing else belongs in this file.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # crossguard.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: components/, cost/

from crossguard import PACK_NAME, build_policies  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

PolicyPack(name=PACK_NAME, policies=build_policies(), enforcement_level=EnforcementLevel.ADVISORY)
