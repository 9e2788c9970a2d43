"""Error pages; an HTMX request gets the message alone so it can be swapped in place."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "That page does not exist.",
    500: "Something went wrong on our side. The error has been logged.",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html", code=400,
            message="Your form expired or was sent from elsewhere. Reload the page and try again.",
        ), 400

    for code in MESSAGES:
        app.register_error_handler(code, _handler(code))


def _handler(code: int):
    def handle(error):
        return render_template("errors/error.html", code=code, message=MESSAGES[code]), code

    return handle
