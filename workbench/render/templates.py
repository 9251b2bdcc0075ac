"""Where the Jinja and nbconvert templates live.

``templates/`` at the top of the repository holds ``report/`` (the nbconvert
report template and the sales digest page) and ``dunning/`` (letters,
e-mails and statements, see ``docs/letters.md``). Every module that needs a
template folder starts from :data:`DEFAULT_TEMPLATES_DIR`, so the location is
stated once.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_TEMPLATES_DIR"]

#: The repository's ``templates/`` folder.
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
