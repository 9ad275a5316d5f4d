"""The GCP platform (see `components.gcp.platform`)."""

from components.gcp.platform import OUTPUT_KEYS, build

__all__ = ["OUTPUT_KEYS", "build"]
