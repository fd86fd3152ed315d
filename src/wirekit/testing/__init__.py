"""Test helpers for wirekit users: a pytest plugin with lab fixtures, and stream conformance checks."""
