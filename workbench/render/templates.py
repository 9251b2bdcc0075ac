"""Where the Jinja and nbconvert templates live.

``templates/`` at the top of the repository (shipped in the wheel as
``workbench.templates``, found through :mod:`workbench.resources`) holds ``report/`` (the nbconvert
report template and the sales digest page) and ``dunning/`` (letters,
e-mails and statements, see ``docs/letters.md``). Every module that needs a
template folder starts from :data:`DEFAULT_TEMPLATES_DIR`, so the location is
stated once.
"""

from __future__ import annotations

from workbench.resources import templates_dir

__all__ = ["DEFAULT_TEMPLATES_DIR"]

#: The shipped ``templates/`` folder.
DEFAULT_TEMPLATES_DIR = templates_dir()
