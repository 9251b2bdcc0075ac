"""Credit & collections workbench: exact ledger calculations for credit teams."""

__version__ = "0.1.0"
