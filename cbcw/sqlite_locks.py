"""How long a SQLite connection waits for another connection's write lock (its busy timeout).

SQLite lets one connection write at a time; the others wait, then fail with "database is locked",
which the error pages answer with a 503 (`cbcw.main.errors`).

- Background work (`flask scheduler`, `flask deliver`, other commands) waits up to 30 s rather
  than pysqlite's 5 s, which a busy machine exceeds.
- A web request waits up to 3 s, and after one wait failed not at all: the 503 page reads the user
  for its menu, and must not wait a second time (with an exclusive lock even reads wait). A file
  held locked answers in about 3 s, not past the web worker's 30 s timeout.

The wait is set each time a connection is taken from the pool, since one connection serves
requests and background work alike.
"""
from flask import g, has_request_context
from sqlalchemy import Engine, event

BACKGROUND_WAIT_SECONDS = 30
REQUEST_WAIT_SECONDS = 3
_GAVE_UP = "sqlite_lock_wait_failed"


def bound_lock_waits(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "checkout", _set_busy_timeout)


def stop_waiting_in_this_request() -> None:
    """A statement of this request failed (a lock waited for in vain): the rest fail at once."""
    if has_request_context():
        g.setdefault(_GAVE_UP, True)


def _set_busy_timeout(dbapi_connection, connection_record, connection_proxy) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout = {_wait_seconds() * 1000}")


def _wait_seconds() -> int:
    if not has_request_context():
        return BACKGROUND_WAIT_SECONDS
    return 0 if g.get(_GAVE_UP) else REQUEST_WAIT_SECONDS
