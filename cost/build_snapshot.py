"""Rebuild the shipped offer snapshot (`cost/data/offers.csv`) from the reference data.

Maintainer tool, run by hand: ``python -m cost.build_snapshot ../shared/data/prices``.
The product never reads ``../shared`` at run time; it reads the CSV this writes,
where every row names its source and date. Live refreshes go through
``pioneer catalog refresh`` instead.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import yaml

from cost.catalog import OFFER_FIELDS

OUT = Path(__file__).parent / "data" / "offers.csv"
FIELDS = list(OFFER_FIELDS)

SKYPILOT_AWS = ("skypilot-org/skypilot-catalog catalogs/v9/aws/vms.csv@2c3d7ea7", "2026-07")
SKYPILOT_AZURE = ("skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv@098741e7", "2024-08")
GCP_SOURCE = (
    "Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml@fd66b26 (Cloud Billing Catalog API)",
    "2026-07-30",
)

# Accelerators the GCP pricing file does not name per machine type; from the
# machine-family pages of cloud.google.com/compute/docs/gpus (A2, A3, G2).
GCP_GPU_MACHINES: dict[str, tuple[str, int]] = {
    **{f"a2-highgpu-{n}g": ("A100", n) for n in (1, 2, 4, 8)},
    "a2-megagpu-16g": ("A100", 16),
    **{f"a2-ultragpu-{n}g": ("A100-80GB", n) for n in (1, 2, 4, 8)},
    **{f"a3-highgpu-{n}g": ("H100", n) for n in (1, 2, 4, 8)},
    "a3-megagpu-8g": ("H100", 8),
    **{f"g2-standard-{c}": ("L4", 1) for c in (4, 8, 12, 16, 32)},
    "g2-standard-24": ("L4", 2),
    "g2-standard-48": ("L4", 4),
    "g2-standard-96": ("L4", 8),
}
# In the zone listing but not in the pricing file: carried unpriced (no invented numbers) so
# plans, zone checks and preflight know them; accelerators from the machine-family pages.
GCP_UNPRICED_MACHINES: dict[str, tuple[str, int]] = {
    "a3-ultragpu-8g": ("H200", 8),
    "a4-highgpu-8g": ("B200", 8),
}
GCP_MEMORY_GIB = {"A100": 40, "A100-80GB": 80, "H100": 80, "L4": 24, "H200": 141, "B200": 180}
GCP_ZONES_SOURCE = (
    "skypilot-org/skypilot-catalog catalogs/v8/gcp/vms.csv@006059e0 (machine types per zone, "
    "from GCP's machineTypes listing; via ../shared/data/prices/gcp_gpu_zones.csv)",
    "2026-12-01",
)
GCP_UNPRICED_SOURCE = "not priced: absent from " + GCP_SOURCE[0].split(" (")[0]

# Azure's source rows that misstate the machine (see SOURCES.md): ND96isr_H100_v5 has 8 GPUs.
AZURE_COUNT_FIXES = {"Standard_ND96isr_H100_v5": 8}
KEEP_AWS = re.compile(r"^(g4dn|g5|g6|g6e|p3|p3dn|p4d|p4de|p5|p5e|p5en|p6-b200)\.")
KEEP_ACCEL = {
    "H200",
    "H100",
    "B200",
    "A100",
    "A100-80GB",
    "L40S",
    "L4",
    "A10G",
    "A10",
    "T4",
    "V100",
    "V100-32GB",
}


def _rows_from_skypilot(path: Path, source: tuple[str, str]) -> list[dict]:
    rows = []
    with path.open() as f:
        for r in csv.DictReader(f):
            if r["accelerator"] not in KEEP_ACCEL or r["instance_type"].endswith("_Promo"):
                continue
            if r["cloud"] == "aws" and not KEEP_AWS.match(r["instance_type"]):
                continue
            if not r["on_demand_usd_per_hour"]:
                continue  # capacity-block-only types have no on-demand price
            count = AZURE_COUNT_FIXES.get(r["instance_type"], int(r["accelerator_count"]))
            spot = r["spot_usd_per_hour"]
            # A spot price equal to on-demand is a placeholder in the source, not a price.
            if spot and float(spot) >= float(r["on_demand_usd_per_hour"]):
                spot = ""
            rows.append(
                {
                    "cloud": r["cloud"],
                    "region": r["region"],
                    "instance_type": r["instance_type"],
                    "accelerator": r["accelerator"],
                    "accelerator_count": count,
                    "accelerator_memory_gib": r["accelerator_memory_gib"],
                    "vcpus": r["vcpus"],
                    "memory_gib": r["memory_gib"],
                    "on_demand_usd_per_hour": r["on_demand_usd_per_hour"],
                    "spot_usd_per_hour": spot,
                    "source": source[0],
                    "date": source[1],
                }
            )
    return rows


def _rows_from_gcp(path: Path) -> list[dict]:
    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    mem = GCP_MEMORY_GIB
    rows = []
    for machine, (accel, count) in GCP_GPU_MACHINES.items():
        item = data["compute"]["instance"].get(machine)
        if not item:
            continue
        for region, cost in item["cost"].items():
            if "hour" not in cost:
                continue
            spot = cost.get("hour_spot")
            rows.append(
                {
                    "cloud": "gcp",
                    "region": region,
                    "instance_type": machine,
                    "accelerator": accel,
                    "accelerator_count": count,
                    "accelerator_memory_gib": mem[accel],
                    "vcpus": item.get("cpu", ""),
                    "memory_gib": item.get("ram", ""),
                    "on_demand_usd_per_hour": round(float(cost["hour"]), 6),
                    "spot_usd_per_hour": round(float(spot), 6) if spot else "",
                    "source": GCP_SOURCE[0],
                    "date": GCP_SOURCE[1],
                }
            )
    return rows


def _unpriced_gcp_rows(zones: list[dict]) -> list[dict]:
    """The GPU machines the zone listing has and the pricing file lacks, one row per region
    with a zone that offers them; prices empty ("not priced", never guessed)."""
    rows = []
    for machine, (accel, count) in GCP_UNPRICED_MACHINES.items():
        for region in sorted({z["region"] for z in zones if z["machine_type"] == machine}):
            rows.append(
                {
                    "cloud": "gcp",
                    "region": region,
                    "instance_type": machine,
                    "accelerator": accel,
                    "accelerator_count": count,
                    "accelerator_memory_gib": GCP_MEMORY_GIB[accel],
                    "vcpus": "",
                    "memory_gib": "",
                    "on_demand_usd_per_hour": "",
                    "spot_usd_per_hour": "",
                    "source": GCP_UNPRICED_SOURCE,
                    "date": GCP_SOURCE[1],
                }
            )
    return rows


GCP_ZONES_OUT = Path(__file__).parent / "data" / "gcp_zones.csv"
GCP_ZONE_FIELDS = ["machine_type", "region", "zone", "source", "date"]


def gcp_zone_rows(path: Path) -> list[dict]:
    """Which zones offer each GPU machine type (the listing's `machine_type` rows)."""
    with path.open() as f:
        rows = [
            {
                "machine_type": r["name"],
                "region": r["region"],
                "zone": r["zone"],
                "source": GCP_ZONES_SOURCE[0],
                "date": GCP_ZONES_SOURCE[1],
            }
            for r in csv.DictReader(f)
            if r["kind"] == "machine_type"
        ]
    return sorted(rows, key=lambda r: (r["machine_type"], r["zone"]))


# TPU slices are not in the Compute Engine pricing file. On-demand list prices
# per chip-hour, entered by hand from cloud.google.com/tpu/pricing; spot left
# empty (not priced) until a refresh reads the Billing Catalog API.
TPU_SOURCE = ("cloud.google.com/tpu/pricing (list price per chip-hour, entered by hand)", "2025-06")
TPU_MACHINES = [
    # machine type, accelerator, chips per VM, vCPUs, memory GiB, $/chip-hour, regions
    (
        "ct5lp-hightpu-1t",
        "TPU-v5e",
        1,
        24,
        48,
        1.20,
        ("us-central1", "us-west4", "us-east1", "europe-west4"),
    ),
    (
        "ct5lp-hightpu-4t",
        "TPU-v5e",
        4,
        112,
        192,
        1.20,
        ("us-central1", "us-west4", "us-east1", "europe-west4"),
    ),
    (
        "ct5lp-hightpu-8t",
        "TPU-v5e",
        8,
        224,
        384,
        1.20,
        ("us-central1", "us-west4", "us-east1", "europe-west4"),
    ),
    ("ct5p-hightpu-4t", "TPU-v5p", 4, 208, 448, 4.20, ("us-east5", "europe-west4")),
    ("ct4p-hightpu-4t", "TPU-v4", 4, 240, 407, 3.22, ("us-central2",)),
    ("ct6e-standard-4t", "TPU-v6e", 4, 180, 720, 2.70, ("us-east5", "europe-west4", "us-east1")),
    ("ct6e-standard-8t", "TPU-v6e", 8, 180, 1440, 2.70, ("us-east5", "europe-west4", "us-east1")),
]
TPU_MEMORY = {"TPU-v5e": 16, "TPU-v5p": 95, "TPU-v4": 32, "TPU-v6e": 32}


def _tpu_rows() -> list[dict]:
    return [
        {
            "cloud": "gcp",
            "region": region,
            "instance_type": machine,
            "accelerator": accel,
            "accelerator_count": chips,
            "accelerator_memory_gib": TPU_MEMORY[accel],
            "vcpus": vcpus,
            "memory_gib": mem,
            "on_demand_usd_per_hour": round(chips * per_chip, 6),
            "spot_usd_per_hour": "",
            "source": TPU_SOURCE[0],
            "date": TPU_SOURCE[1],
        }
        for machine, accel, chips, vcpus, mem, per_chip, regions in TPU_MACHINES
        for region in regions
    ]


SPOT_ADVISOR_OUT = Path(__file__).parent / "data" / "spot_advisor.csv"
SPOT_ADVISOR_SOURCE = (
    "alexei-led/spotinfo internal/spot/data/spot-advisor-data.json (copy of AWS Spot Advisor "
    "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json)",
    "2025-06-28",
)
# CPU instance types the stacks use for system node pools; carried so their spot
# interruption bucket is known too.
SPOT_ADVISOR_EXTRA_TYPES = ("m6i.xlarge", "m6i.2xlarge", "m5.xlarge")


def spot_advisor_rows(advisor_json: Path, aws_rows: list[dict]) -> list[dict]:
    """The AWS Spot Advisor buckets (0..4) for the instance types we carry."""
    import json

    data = json.loads(advisor_json.read_text())
    wanted = {(r["region"], r["instance_type"]) for r in aws_rows}
    wanted |= {(r["region"], t) for r in aws_rows for t in SPOT_ADVISOR_EXTRA_TYPES}
    out = []
    for region, itype in sorted(wanted):
        entry = data["spot_advisor"].get(region, {}).get("Linux", {}).get(itype)
        if entry is None:
            continue  # Spot Advisor has no data for it (e.g. p5.4xlarge, p6-b200)
        out.append(
            {
                "cloud": "aws",
                "region": region,
                "instance_type": itype,
                "interruption_bucket": entry["r"],
                "savings_pct": entry["s"],
                "source": SPOT_ADVISOR_SOURCE[0],
                "date": SPOT_ADVISOR_SOURCE[1],
            }
        )
    return out


# CPU instance types for system node pools (the stacks' defaults and close relatives).
CPU_OUT = Path(__file__).parent / "data" / "cpu_offers.csv"
CPU_FIELDS = [
    "cloud",
    "region",
    "instance_type",
    "vcpus",
    "memory_gib",
    "on_demand_usd_per_hour",
    "spot_usd_per_hour",
    "source",
    "date",
]
GCP_CPU_MACHINES = (
    "e2-standard-2",
    "e2-standard-4",
    "e2-standard-8",
    "n2-standard-4",
    "n2-standard-8",
)
GCP_CPU_REGIONS = (
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "europe-west1",
    "europe-west4",
)
# Not in the reference data: public Linux on-demand list prices typed in (spot left empty).
HAND_CPU = (
    [
        (
            "aws",
            region,
            "m6i.xlarge",
            4,
            16,
            price,
            "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux on-demand; entered by hand)",
            "2025-06",
        )
        for region, price in (
            ("us-east-1", 0.192),
            ("us-east-2", 0.192),
            ("us-west-2", 0.192),
            ("eu-west-1", 0.214),
            ("eu-central-1", 0.23),
        )
    ]
    + [
        (
            "aws",
            region,
            "m6i.2xlarge",
            8,
            32,
            price,
            "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux on-demand; entered by hand)",
            "2025-06",
        )
        for region, price in (("us-east-1", 0.384), ("us-east-2", 0.384), ("us-west-2", 0.384))
    ]
    + [
        (
            "azure",
            region,
            "Standard_D4s_v5",
            4,
            16,
            0.192,
            "https://azure.microsoft.com/pricing/details/virtual-machines/linux/ (D4s v5 pay-as-you-go; "
            "entered by hand)",
            "2025-06",
        )
        for region in ("eastus", "eastus2", "westus2", "westus3", "southcentralus")
    ]
)


def cpu_rows(gcp_pricing: Path) -> list[dict]:
    data = yaml.load(gcp_pricing.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    rows = []
    for machine in GCP_CPU_MACHINES:
        item = data["compute"]["instance"][machine]
        for region in GCP_CPU_REGIONS:
            cost = item["cost"].get(region)
            if not cost or "hour" not in cost:
                continue
            rows.append(
                {
                    "cloud": "gcp",
                    "region": region,
                    "instance_type": machine,
                    "vcpus": item.get("cpu", ""),
                    "memory_gib": item.get("ram", ""),
                    "on_demand_usd_per_hour": round(float(cost["hour"]), 6),
                    "spot_usd_per_hour": round(float(cost["hour_spot"]), 6)
                    if cost.get("hour_spot")
                    else "",
                    "source": GCP_SOURCE[0],
                    "date": GCP_SOURCE[1],
                }
            )
    for cloud, region, itype, vcpus, mem, price, source, date in HAND_CPU:
        rows.append(
            {
                "cloud": cloud,
                "region": region,
                "instance_type": itype,
                "vcpus": vcpus,
                "memory_gib": mem,
                "on_demand_usd_per_hour": price,
                "spot_usd_per_hour": "",
                "source": source,
                "date": date,
            }
        )
    return sorted(rows, key=lambda r: (r["cloud"], r["region"], r["instance_type"]))


# SageMaker `ml.*` vs EC2 on-demand, us-east-1, from the same file (January 2025).
SAGEMAKER_OUT = Path(__file__).parent / "data" / "sagemaker_premium.csv"
SAGEMAKER_SOURCE = (
    "aws-samples/foundation-model-benchmarking-tool "
    "fmbench/configs/pricing_fallback.yml (us-east-1 on-demand)",
    "2025-01-26",
)


def sagemaker_rows(path: Path) -> list[dict]:
    prices = yaml.safe_load(path.read_text())["pricing"]["instance_based"]
    rows = []
    for name, ml_price in prices.items():
        if not name.startswith("ml."):
            continue
        ec2 = name.removeprefix("ml.")
        if ec2 in prices:
            rows.append(
                {
                    "instance_type": ec2,
                    "sagemaker_usd_per_hour": ml_price,
                    "ec2_usd_per_hour": prices[ec2],
                    "ratio": round(ml_price / prices[ec2], 4),
                    "source": SAGEMAKER_SOURCE[0],
                    "date": SAGEMAKER_SOURCE[1],
                }
            )
    return sorted(rows, key=lambda r: r["instance_type"])


def _write(path: Path, rows: list[dict], fields: list[str] | None = None) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields or list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def build(prices_dir: Path) -> dict[Path, tuple[list[dict], list[str]]]:
    """Every snapshot file's rows and columns, built from the reference data."""
    d = Path(prices_dir)
    zones = gcp_zone_rows(d / "gcp_gpu_zones.csv")
    rows = (
        _rows_from_skypilot(d / "aws_gpu_offers.csv", SKYPILOT_AWS)
        + _rows_from_skypilot(d / "azure_gpu_offers.csv", SKYPILOT_AZURE)
        + _rows_from_gcp(d / "gcp-pricing-2026-07-30.yml")
        + _unpriced_gcp_rows(zones)
        + _tpu_rows()
    )
    rows.sort(key=lambda r: (r["cloud"], r["region"], r["instance_type"]))
    advisor = spot_advisor_rows(
        d / "aws-spot-advisor-2025-06-28.json", [r for r in rows if r["cloud"] == "aws"]
    )
    sm = sagemaker_rows(d / "aws-sagemaker-and-ec2-prices-2025-01-26.yml")
    return {
        OUT: (rows, FIELDS),
        SPOT_ADVISOR_OUT: (advisor, list(advisor[0])),
        CPU_OUT: (cpu_rows(d / "gcp-pricing-2026-07-30.yml"), CPU_FIELDS),
        SAGEMAKER_OUT: (sm, list(sm[0])),
        GCP_ZONES_OUT: (zones, GCP_ZONE_FIELDS),
    }


def main(prices_dir: str) -> None:
    for path, (rows, fields) in build(Path(prices_dir)).items():
        _write(path, rows, fields)
        print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/prices")
