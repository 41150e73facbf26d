"""A throwaway PostgreSQL server for the tests: a new cluster in a temporary folder.

`PostgresServer.start()` runs Debian's (or any) `initdb` and `pg_ctl` to start a
cluster listening on 127.0.0.1 only, on a free port, with a password; `stop()` stops
it and deletes the folder. `initdb` refuses to run as root, so under root the cluster
belongs to an unprivileged user: `postgres` (which Debian's package creates), else a
system user made for the purpose. `unavailable()` says why no server can be started
here (no psycopg, no PostgreSQL binaries), or None.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian keeps the server's programs here
SPARE_USER = "mission-pg"
TIMEOUT = 60


def find_bin() -> Path | None:
    """The folder with `initdb` and `pg_ctl`, newest version first, else from PATH."""
    for folder in sorted(glob.glob(BIN_GLOB), key=_version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    return None


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run on this machine, or None if they can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    if find_bin() is None:
        return "no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql"
    if os.geteuid() == 0 and not _user_exists("postgres") and not shutil.which("useradd"):
        return "running as root without a 'postgres' user nor useradd to make one"
    return None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _owner() -> str | None:
    """The unprivileged user the cluster runs as; None when this process is not root."""
    if os.geteuid() != 0:
        return None
    if _user_exists("postgres"):
        return "postgres"
    if not _user_exists(SPARE_USER):
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SPARE_USER],
            check=True,
            capture_output=True,
        )
    return SPARE_USER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bin = find_bin()
        self.owner = _owner()
        # the cluster's owner must reach the folder: under root, /tmp rather than a $TMPDIR
        # that may sit in root's home
        where = "/tmp" if self.owner is not None and Path("/tmp").is_dir() else None
        self.root = Path(tempfile.mkdtemp(prefix="mission-pg-", dir=where))
        self.data = self.root / "data"
        self.user = "mission"
        self.password = secrets.token_hex(16)
        self.port = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.bin is not None
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.owner is not None:
            shutil.chown(self.root, self.owner)
            shutil.chown(pwfile, self.owner)
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        with (self.data / "postgresql.conf").open("a") as conf:
            # loopback only, a socket in our own folder, and speed over durability
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        for _attempt in range(3):  # a free port may be taken in between: try another
            self.port = _free_port()
            done = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                str(TIMEOUT),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "server.log"),
                "-o",
                f"-p {self.port}",
            )
            if done.returncode == 0:
                return self
        log = (self.root / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"pg_ctl start failed: {done.stderr}\n{log}")

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        shutil.rmtree(self.root, ignore_errors=True)
