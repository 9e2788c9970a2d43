"""The instance folder and the SQLite file hold every organisation's data: owner-only (PRODUCT §4).

They are created with their final mode (0700 / 0600) rather than chmod-ed afterwards, so there is
no moment at which another local user could open them; existing ones are tightened at start-up.
SQLite creates its -wal and -journal files with the database file's mode.
"""
import os
from pathlib import Path

from sqlalchemy.engine import make_url

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path, tighten: bool) -> None:
    """Create `path` (and missing parents) readable by the owner only; `tighten` an existing one too
    (only for folders that are ours alone, such as `instance/`: never a shared one such as /tmp)."""
    if not path.exists():
        path.mkdir(mode=DIRECTORY_MODE, parents=True)
    elif tighten:
        path.chmod(DIRECTORY_MODE)


def private_file(path: Path) -> None:
    """Create an empty `path` readable by the owner only if it is missing; tighten it if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(fd)
    path.chmod(FILE_MODE)


def secure_sqlite_file(database_uri: str, instance_dir: Path) -> None:
    """For a SQLite file database: its folder 0700 and the file 0600, before SQLite opens it."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if url.database.startswith("file:"):  # URI filenames are the operator's explicit choice
        return
    database = Path(url.database).resolve()
    private_directory(database.parent, tighten=database.parent == instance_dir.resolve())
    private_file(database)
