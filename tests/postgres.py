"""A throw-away PostgreSQL server for the journal tests.

:func:`postgres_server` yields the URL of a server for the whole test session:
``WORKBENCH_TEST_POSTGRES_URL`` when set, else a cluster created with
``initdb`` in a temporary folder and started with ``pg_ctl`` on a free local
port (fsync off, trust authentication, user ``workbench``). PostgreSQL refuses
to run as root, so as root the server runs as the ``postgres`` system user via
``runuser`` (or ``su``). When no server can be had the calling test is skipped
with the reason.

:func:`fresh_database` creates an empty database with a unique name on that
server and returns its URL, so every test starts from nothing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV_URL = "WORKBENCH_TEST_POSTGRES_URL"
NO_SERVER = (
    "PostgreSQL server not available: no initdb/pg_ctl found "
    "(make test installs the Debian package postgresql when run as root)"
)
USER = "workbench"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    candidates = [c for c in candidates if (c / "pg_ctl").exists()]

    def major(folder: Path) -> float:
        try:
            return float(folder.parent.name)
        except ValueError:
            return 0.0

    return max(candidates, key=major, default=None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when we are root, else unchanged."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], *, timeout: float = 60) -> None:
    result = subprocess.run(
        _as_server_user(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr or result.stdout}")


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def _local_server() -> Iterator[str]:
    """Start a temporary cluster; yield the URL of its ``postgres`` database; stop and remove it."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(NO_SERVER)
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip(
                "PostgreSQL server not available: running as root and there is no 'postgres' "
                "system user to run the server as"
            )
    # as root the server user must reach the folder: use /tmp, not a root-only TMPDIR
    base = Path(tempfile.mkdtemp(prefix="wb-pg-", dir="/tmp" if owner is not None else None))
    data = base / "data"
    try:
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                USER,
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        started = None
        for _attempt in range(3):
            port = free_port()
            options = f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
            try:
                _run(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(base / "server.log"),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "start",
                    ],
                    timeout=90,
                )
            except RuntimeError:
                continue
            started = port
            break
        if started is None:
            log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl could not start a server:\n{log[-2000:]}")
        try:
            yield f"postgresql://{USER}@127.0.0.1:{started}/postgres"
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for tests (environment variable, or a temporary local cluster)."""
    configured = os.environ.get(ENV_URL)
    if configured:
        yield configured
        return
    with _local_server() as url:
        yield url


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(server_url: str) -> str:
    """Create an empty database with a unique name on the server; return its URL."""
    name = f"journal_{uuid.uuid4().hex[:12]}"
    _admin(server_url, f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database made by :func:`fresh_database` (best effort, connections are closed first)."""
    name = urlsplit(database_url).path.lstrip("/")
    try:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - cleanup must not fail a test
        pass
