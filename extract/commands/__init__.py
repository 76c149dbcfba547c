"""Subcommands of the `factsheet` CLI."""
