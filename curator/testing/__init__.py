"""Fixtures shipped for tests, benchmarks and the demo: synthetic shoots, degradations, tiny models."""
