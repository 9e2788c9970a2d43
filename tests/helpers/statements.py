"""Count the SQL statements a block of code sends, for tests that pin a page's query count.

    with count_statements(db.engine) as statements:
        client.get("/changes")
    assert len(statements) == 7

Django's `assertNumQueries` habit: a page's statement count must not grow with the data, so a
test renders it at two data sizes and asserts the same count (`statements` holds the SQL text,
handy in the assertion message when a count drifts).
"""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL of every statement the engine executes inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
