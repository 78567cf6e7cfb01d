"""Tests of the command-line layer, assistant/cli/ (one module per command group)."""
