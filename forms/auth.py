"""Forms of the log-in and profile screens."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("User name or e-mail address"), validators=[DataRequired()])


class NewPasswordForm(FlaskForm):
    """A new password without the current one: with a reset link, or right after logging in
    with the password an administrator gave."""
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    repeat_password = PasswordField(_l("Repeat the new password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[("sv", "Svenska"), ("de", "Deutsch"), ("en", "English")])
    email_notifications = BooleanField(_l("Send me an e-mail when I am mentioned or assigned"))


class PasswordForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    repeat_password = PasswordField(_l("Repeat the new password"), validators=[DataRequired()])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from the authenticator app"), validators=[DataRequired()])


class TotpDisableForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired()])
