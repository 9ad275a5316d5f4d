"""The AWS platform (see `components.aws.platform`)."""

from components.aws.platform import OUTPUT_KEYS, build

__all__ = ["OUTPUT_KEYS", "build"]
