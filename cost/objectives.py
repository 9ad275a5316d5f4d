"""What `pioneer optimize` can minimise: the names only, so the CLI can list them without
importing the optimizer (numpy, the catalog) at start-up. `cost.optimize` implements each."""

from __future__ import annotations

MIX_TERMS = ("cost", "time", "carbon")
OBJECTIVE_NAMES = (*MIX_TERMS, "mix")
