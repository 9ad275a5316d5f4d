"""Measured energy and emissions of a training run.

One process per machine (local rank 0) measures with codecarbon's
`OfflineEmissionsTracker`: no network, the grid's carbon intensity comes from
the country given by `--country` (or `PIONEER_COUNTRY`, ISO-3166 alpha-3,
default USA). codecarbon reads, in order of preference:

- GPUs: NVML's board power (pynvml), integrated over time;
- CPU: Intel RAPL counters when readable; otherwise the CPU model's TDP from
  codecarbon's table times the measured CPU utilisation;
- RAM: a fixed power per installed memory (codecarbon's model).

The machines' figures are summed over ranks by the caller. Checkpoints carry
the job's running total, so a job resumed after a spot interruption reports
the energy of all its segments (`energy_kwh_total`) next to its own
(`energy_kwh`). When codecarbon is missing or fails, the run still trains and
reports `energy_kwh: null`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("pioneer.energy")

DEFAULT_COUNTRY = "USA"


@dataclass
class EnergyReading:
    energy_kwh: float
    emissions_kg: float
    detail: dict[str, Any] = field(default_factory=dict)


def country_code(arg: str | None) -> str:
    code = (arg or os.environ.get("PIONEER_COUNTRY") or DEFAULT_COUNTRY).upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(
            f"country: {code!r} must be an ISO-3166 alpha-3 code such as USA, DEU, FRA"
        )
    return code


class EnergyMeter:
    """Start/stop around the training loop; `stop()` returns None when nothing was measured."""

    def __init__(self, country: str, enabled: bool = True, interval_s: float = 5.0):
        self.country = country
        self.enabled = enabled
        self.interval_s = interval_s
        self._tracker: Any = None

    def start(self) -> None:
        if not self.enabled:
            return
        try:
            logging.getLogger("codecarbon").setLevel(logging.ERROR)
            from codecarbon import OfflineEmissionsTracker

            self._tracker = OfflineEmissionsTracker(
                country_iso_code=self.country,
                measure_power_secs=self.interval_s,
                save_to_file=False,
                log_level="error",
                project_name="pioneer",
                # No lock file: several runs on one machine each measure it.
                allow_multiple_runs=True,
            )
            self._tracker.start()
        except Exception as e:  # measuring must never stop training
            log.warning("energy measurement unavailable: %s", e)
            self._tracker = None

    def so_far(self) -> tuple[float, float] | None:
        """(kWh, kg CO2e) since start, without stopping: what a checkpoint records."""
        if self._tracker is None:
            return None
        try:
            emissions = self._tracker.flush()  # measures up to now; writes nothing (no outputs)
            kwh = float(self._tracker._total_energy.kWh)  # codecarbon keeps no public getter
        except Exception as e:
            log.warning("energy reading failed: %s", e)
            return None
        return (kwh, float(emissions)) if emissions is not None else None

    def stop(self) -> EnergyReading | None:
        if self._tracker is None:
            return None
        try:
            emissions = self._tracker.stop()
            d = self._tracker.final_emissions_data
        except Exception as e:
            log.warning("energy measurement failed: %s", e)
            return None
        if d is None or emissions is None:
            return None
        detail = {
            "method": "codecarbon OfflineEmissionsTracker",
            "country_iso_code": d.country_iso_code,
            "duration_s": d.duration,
            "cpu_model": d.cpu_model,
            "cpu_power_w": d.cpu_power,
            "cpu_energy_kwh": d.cpu_energy,
            "gpu_model": d.gpu_model,
            "gpu_power_w": d.gpu_power,
            "gpu_energy_kwh": d.gpu_energy,
            "ram_power_w": d.ram_power,
            "ram_energy_kwh": d.ram_energy,
            "emissions_rate_kg_per_s": d.emissions_rate,
            "tracking_mode": d.tracking_mode,
            "codecarbon_version": d.codecarbon_version,
        }
        return EnergyReading(
            energy_kwh=float(d.energy_consumed), emissions_kg=float(emissions), detail=detail
        )


class JobEnergy:
    """A job's energy across machines and restarts: this segment's meter plus earlier segments.

    Every method is collective (sums over ranks), so every rank calls it at the same point.
    """

    def __init__(self, meter: EnergyMeter, earlier: dict[str, float] | None, env: Any, device: Any):
        from training import distributed  # torch stays out of the CLI's argument checks

        self.meter, self.env, self.device, self._dist = meter, env, device, distributed
        self.earlier = earlier or {"kwh": 0.0, "kg": 0.0}

    def _sum(self, kwh_kg: tuple[float, float] | None) -> tuple[float, float] | None:
        n, kwh, kg = self._dist.sum_vector_over_ranks(
            [1.0, *kwh_kg] if kwh_kg else [0.0, 0.0, 0.0], self.env, self.device
        )
        return (kwh, kg) if n else None

    def total_so_far(self) -> dict[str, float] | None:
        """What a checkpoint records: the job's total up to now."""
        now = self._sum(self.meter.so_far())
        if now is None:
            return None
        return {"kwh": self.earlier["kwh"] + now[0], "kg": self.earlier["kg"] + now[1]}

    def finish(self) -> dict[str, Any]:
        """Stop the meter; the summary's energy fields (None where nothing was measured)."""
        reading = self.meter.stop()
        this = self._sum((reading.energy_kwh, reading.emissions_kg) if reading else None)
        details = self._dist.gather_objects(reading.detail if reading else None, self.env)
        return {
            "energy_kwh": this[0] if this else None,
            "emissions_kg": this[1] if this else None,
            "energy_kwh_total": self.earlier["kwh"] + this[0] if this else None,
            "emissions_kg_total": self.earlier["kg"] + this[1] if this else None,
            "energy_measurements": [d for d in details if d],
        }
