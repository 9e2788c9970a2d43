"""Application factory: `flask --app app run`, `flask --app app db upgrade`, …"""
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from cbcw import crypto
from cbcw.config import DEV_ENCRYPTION_KEY, DEV_SECRET_KEY, Config, config_from_env
from cbcw.extensions import csrf, db, htmx, login_manager, migrate
from cbcw.main import numbers, request_guard, security
from cbcw.private_files import secure_sqlite_file
from cbcw.sqlite_locks import bound_lock_waits


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_env()
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.from_object(config_class)
    _check_secrets(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:  # the client address comes from X-Forwarded-For only through our own proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    secure_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_DIR"])

    import cbcw.models  # noqa: F401  (every core model registered before migrations look)

    numbers.init_app(app)  # before any blueprint: rules pick their converters when added
    security.init_app(app)
    request_guard.init_app(app)  # before CSRF, which reads the form
    db.init_app(app)
    with app.app_context():
        bound_lock_waits(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    htmx.init_app(app)

    from cbcw.accounts import sessions
    from cbcw.accounts.routes import bp as accounts_bp
    from cbcw.calendar.routes import bp as calendar_bp
    from cbcw.changes.device_routes import bp as device_changes_bp
    from cbcw.changes.routes import bp as changes_bp
    from cbcw.changes.settings_routes import bp as change_settings_bp
    from cbcw.changes.template_routes import bp as change_templates_bp
    from cbcw.demo.cli import seed_demo_command
    from cbcw.devices.routes import bp as devices_bp
    from cbcw.integrations import registry
    from cbcw.main import errors, request_log, templating
    from cbcw.dashboard.routes import init_app as init_dashboard
    from cbcw.mail.routes import bp as mail_bp
    from cbcw.main.routes import bp as main_bp
    from cbcw.notifications.setup import init_app as init_notifications
    from cbcw.organisations.routes import bp as organisations_bp
    from cbcw.scheduler.cli import scheduler_command
    from cbcw.windows.routes import bp as windows_bp

    for blueprint in (main_bp, accounts_bp, changes_bp, device_changes_bp, organisations_bp, devices_bp,
                      calendar_bp, change_templates_bp, change_settings_bp, windows_bp, mail_bp):
        app.register_blueprint(blueprint)
    init_notifications(app)
    init_dashboard(app)
    sessions.init_app(app)
    errors.init_app(app)
    request_log.init_app(app)
    templating.init_app(app)
    for command in (seed_demo_command, scheduler_command):
        app.cli.add_command(command)
    # Each integration of config INTEGRATIONS adds what its declaration lists (cbcw/integrations/spec.py).
    registry.init_app(app)
    with app.app_context():
        crypto.check_keys()
    return app


def _check_secrets(app: Flask) -> None:
    """Refuse to start outside development without real secrets."""
    if app.config["ENV_NAME"] != "production":
        return
    secret = app.config.get("SECRET_KEY") or ""
    if len(secret) < 24 or secret == DEV_SECRET_KEY:
        raise RuntimeError(
            "SECRET_KEY is missing or too short: set SECRET_KEY to a random string of at least "
            "24 characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    keys = [k for k in app.config.get("ENCRYPTION_KEYS", "").split(",") if k.strip()]
    if not keys or DEV_ENCRYPTION_KEY in keys:
        raise RuntimeError(
            "CBCW_ENCRYPTION_KEYS is missing: set it to a Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
