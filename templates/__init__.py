"""Report (nbconvert) and letter (Jinja) templates, shipped inside the wheel as ``workbench.templates``.

This folder stays at the top of the repository, where a team edits its letter
wording and report look; the build maps it into the package (see
``pyproject.toml``) and the code finds it through :mod:`workbench.resources`.
There is no Python code here.
"""
