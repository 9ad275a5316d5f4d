"""How long the policy takes: every rule over each shipped stack's plan document.

Run: .venv/bin/python benchmarks/policy_eval.py  (prints figures; asserts nothing)
"""

from __future__ import annotations

import time

from components.policy import RULES, evaluate
from stacks.assess import assess
from stacks.plan import run_plan


def main() -> None:
    print(f"{len(RULES)} rules ({sum(r.severity == 'mandatory' for r in RULES)} mandatory)")
    for stack in ("aws-dev", "gcp-dev", "azure-dev"):
        plan = run_plan(stack)
        doc = assess(plan).document
        runs = 20
        t0 = time.perf_counter()
        for _ in range(runs):
            result = evaluate(doc, plan.spec)
        ms = (time.perf_counter() - t0) / runs * 1000
        budget = f"${plan.spec.budget.monthly_usd:,.2f}" if plan.spec.budget else "none"
        print(
            f"{stack}: {len(doc['steps'])} resources, {result['rules_checked']} rules checked in "
            f"{ms:.1f} ms; {result['mandatory']} mandatory, {result['advisory']} advisory findings; "
            f"estimate ${doc['cost']['monthly_usd']:,.2f}/month, budget {budget}"
        )


if __name__ == "__main__":
    main()
