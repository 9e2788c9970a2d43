"""Run the same work in several threads released at the same moment, each in its own app context:
the races of the outbox, the mail sender and the login throttle."""
import threading
from typing import Any, Callable

from flask import Flask

from cbcw.extensions import db


def at_once(app: Flask, work: Callable[[], Any], times: int, timeout: float = 90) -> list:
    """What `work` returned in each of `times` threads; an error in any thread fails the test."""
    start = threading.Barrier(times)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                start.wait()
                results.append(work())
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert errors == [] and len(results) == times, errors
    return results
