import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

# A shape check only: email-validator refuses the reserved .test domain the demo uses.
email_shape = Regexp(re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), message="Enter a valid email address.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), email_shape])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class EmptyForm(FlaskForm):
    """CSRF token only: for one-button actions."""
