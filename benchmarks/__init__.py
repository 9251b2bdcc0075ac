"""Benchmark of the workbench against a DuckDB SQL reference and plain pandas.

Run ``python benchmarks/run.py``; see ``benchmarks/README.md``.
"""
