"""Flask extensions, created once at module level and attached in ``create_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from service.models import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
mailer = Mail()
# Ingest keys its limits by site + salted IP hash itself (service/ingest/limits.py); the
# decorator-style limits elsewhere (login) key by remote address, which ProxyFix has resolved.
limiter = Limiter(key_func=get_remote_address)
