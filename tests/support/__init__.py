"""Helpers the tests and the benches share (test data, not product code)."""
