"""Role checks for views."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Log-in required, and one of these roles; anyone else gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


settings_required = roles_required("admin", "msp")
admin_required = roles_required("admin")
editor_required = roles_required("admin", "msp", "engineer")
