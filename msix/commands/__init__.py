"""Subcommands of `msix`, one module per area. Each module has `register(subparsers)`."""
