"""Placeholder: being built (issue 21)."""
