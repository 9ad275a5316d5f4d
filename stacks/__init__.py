"""Stack configs (`Pulumi.<stack>.yaml`), the stack program, the offline plan and the CLI."""
