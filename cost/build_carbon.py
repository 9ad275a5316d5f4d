"""Rebuild `cost/data/grid_intensity.csv` from the data codecarbon ships.

Maintainer tool: ``python -m cost.build_carbon``. codecarbon carries Google's
published per-region grid intensities for GCP, EPA eGRID state emission rates
for the US and per-country mixes elsewhere; AWS and Azure regions are mapped to
their location here, explicitly. The product reads only the CSV this writes.
"""

from __future__ import annotations

import csv
import json
from importlib import metadata
from pathlib import Path

import codecarbon

OUT = Path(__file__).parent / "data" / "grid_intensity.csv"
LBS_PER_MWH_TO_G_PER_KWH = 453.59237 / 1000

# Region -> (US state, None) or (None, ISO country). Locations from the providers'
# region pages (AWS "Regions and Zones", Azure "Azure geographies").
AWS_REGIONS = {
    "us-east-1": ("virginia", None),
    "us-east-2": ("ohio", None),
    "us-west-1": ("california", None),
    "us-west-2": ("oregon", None),
    "ca-central-1": (None, "CAN"),
    "eu-west-1": (None, "IRL"),
    "eu-west-2": (None, "GBR"),
    "eu-west-3": (None, "FRA"),
    "eu-central-1": (None, "DEU"),
    "eu-north-1": (None, "SWE"),
    "ap-northeast-1": (None, "JPN"),
    "ap-southeast-1": (None, "SGP"),
    "ap-southeast-2": (None, "AUS"),
    "ap-south-1": (None, "IND"),
    "sa-east-1": (None, "BRA"),
}
AZURE_REGIONS = {
    "eastus": ("virginia", None),
    "eastus2": ("virginia", None),
    "centralus": ("iowa", None),
    "northcentralus": ("illinois", None),
    "southcentralus": ("texas", None),
    "westus": ("california", None),
    "westus2": ("washington", None),
    "westus3": ("arizona", None),
    "canadacentral": (None, "CAN"),
    "westeurope": (None, "NLD"),
    "northeurope": (None, "IRL"),
    "uksouth": (None, "GBR"),
    "francecentral": (None, "FRA"),
    "germanywestcentral": (None, "DEU"),
    "swedencentral": (None, "SWE"),
    "japaneast": (None, "JPN"),
    "australiaeast": (None, "AUS"),
}


def main() -> None:
    data = Path(codecarbon.__file__).parent / "data"
    version = metadata.version("codecarbon")
    rows: list[dict] = []
    with (data / "cloud" / "impact.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r["provider"] == "gcp":
                region = "me-central1" if r["region"] == "me-cenrtal1" else r["region"]
                rows.append(
                    {
                        "cloud": "gcp",
                        "region": region,
                        "location": r["city"] or r["country_name"],
                        "g_co2e_per_kwh": float(r["impact"]),
                        "source": f"Google region carbon data ({r['source']}) via codecarbon {version}",
                        "date": "2023",
                    }
                )
    usa = json.loads((data / "private_infra" / "2023" / "usa_emissions.json").read_text())
    world = json.loads((data / "private_infra" / "global_energy_mix.json").read_text())
    egrid = usa["_source"]
    for cloud, table in (("aws", AWS_REGIONS), ("azure", AZURE_REGIONS)):
        for region, (state, country) in table.items():
            if state:
                value = usa[state]["emissions"] * LBS_PER_MWH_TO_G_PER_KWH
                location, src, date = (
                    state.title(),
                    f"{egrid['name']} ({egrid['url']})",
                    str(egrid["year"]),
                )
            else:
                c = world[country]
                value, location = c["carbon_intensity"], c["country_name"]
                src, date = "Ember/Our World in Data country electricity mix", str(c["year"])
            rows.append(
                {
                    "cloud": cloud,
                    "region": region,
                    "location": location,
                    "g_co2e_per_kwh": round(value, 1),
                    "source": f"{src} via codecarbon {version}",
                    "date": date,
                }
            )
    rows.sort(key=lambda r: (r["cloud"], r["region"]))
    with OUT.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} region intensities to {OUT}")


if __name__ == "__main__":
    main()
