"""The report and desk notebooks, shipped inside the wheel as ``workbench.notebooks``.

This folder stays at the top of the repository, where analysts open it in
JupyterLab; the build maps it into the package (see ``pyproject.toml``) and the
code finds it through :mod:`workbench.resources`, never by a path relative to
the checkout. There is no Python code here.
"""
