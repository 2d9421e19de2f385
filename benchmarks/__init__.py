"""Benchmarks of the real Tend against the test simulator. Not part of the test suite.

Run ``.venv/bin/python -m benchmarks.interactions --help`` (or ``scripts/bench``).
"""
