"""Plugging notifications into the app: blueprint, signal receivers, jobs and template globals."""
from flask import Flask

from cbcw.notifications import jobs, receivers
from cbcw.notifications.routes import bell, bp, preferences_section
from cbcw.scheduler.jobs import add_core_jobs


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    receivers.connect()
    add_core_jobs(app, jobs.jobs)
    app.context_processor(bell)
    app.jinja_env.globals["notification_preferences_section"] = preferences_section
