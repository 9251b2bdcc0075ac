"""Importers: turn other layouts into the canonical ledger folder (docs/ledger-format.md).

>>> from workbench.importers import import_generic  # doctest: +SKIP
>>> import_generic("ar.csv", "ar_mapping.toml", "ledgers/ar").rows_quarantined  # doctest: +SKIP
0
"""

from workbench.importers.generic import ImportResult, import_generic
from workbench.importers.generic_mapping import Mapping, load_mapping, parse_mapping

__all__ = ["ImportResult", "Mapping", "import_generic", "load_mapping", "parse_mapping"]
