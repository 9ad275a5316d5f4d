"""Pulumi entry point: `pulumi up` runs the stack program with the selected stack's config."""

from stacks.program import program

program()
