"""The three engines of the benchmark: the workbench, a DuckDB SQL reference, plain pandas.

``kpi_math`` holds the few scalar formulas both references share;
``ledger_files`` what they read besides the tables (reporting currency,
quarantined rows). The references never import the workbench.
"""
