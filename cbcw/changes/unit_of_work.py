"""Running an operation as one unit of work: commit, or roll back and retry once on a conflict."""
import logging
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from cbcw.accounts.models import User
from cbcw.changes.errors import LifecycleError
from cbcw.changes.models import Change
from cbcw.extensions import db

log = logging.getLogger(__name__)

CONFLICT_MESSAGE = "Someone else updated this change a moment ago"


def apply(operation: Callable[..., Any], change: Change, actor: User, **kwargs: Any) -> Any:
    """Run `operation(change, actor, **kwargs)` and commit; retry once after a concurrent update.

    A rival commit shows up as a StaleDataError (version column) or an IntegrityError (an
    approval recorded twice). Then the session is rolled back, the change reloaded and the
    operation tried again against the fresh state; if the rules now refuse, the refusal is
    raised as "Someone else updated this change a moment ago: …". Any LifecycleError rolls
    back and propagates.
    """
    conflicted = False
    while True:
        try:
            result = operation(change, actor, **kwargs)
            db.session.commit()
            return result
        except LifecycleError as error:
            db.session.rollback()
            if conflicted:
                raise LifecycleError(f"{CONFLICT_MESSAGE}: {error}") from error
            raise
        except (StaleDataError, IntegrityError) as error:
            db.session.rollback()
            if conflicted:
                log.warning("change %s: second conflict in a row: %s", change.id, error)
                raise LifecycleError(
                    f"{CONFLICT_MESSAGE}: please reload the page and try again."
                ) from error
            conflicted = True
            db.session.refresh(change)
