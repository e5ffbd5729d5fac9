"""Settings for jiceng, read from the environment.

Local use needs no set-up: SQLite under ``var/`` and keys generated into ``var/`` on first run.
Production (``JICENG_ENV=production``) refuses to start without ``JICENG_SECRET_KEY``,
``JICENG_FIELD_KEY`` and ``JICENG_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", BASE_DIR / "var"))
PRODUCTION = os.environ.get("JICENG_ENV", "development") == "production"


def _local_key(name: str, *, nbytes: int = 32) -> str:
    """A key kept in var/ for local use; generated once. Never used in production mode."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def _required(name: str, local_file: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when JICENG_ENV=production")
    return _local_key(local_file)


SECRET_KEY = _required("JICENG_SECRET_KEY", "secret.key")
# Key for identity numbers (AES-GCM, and HMAC for the lookup digest). Losing it loses them.
FIELD_ENCRYPTION_KEY = _required("JICENG_FIELD_KEY", "field.key")

DEBUG = os.environ.get("JICENG_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("JICENG_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("JICENG_ALLOWED_HOSTS must be set when JICENG_ENV=production")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("JICENG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "jiceng.core",
    "jiceng.orgs",
    "jiceng.members",
    "jiceng.life",
    "jiceng.development",
    "jiceng.tasks",
    "jiceng.dues",
    "jiceng.assessment",
    "jiceng.roster",
    "jiceng.reports",
    "jiceng.accounts",
    "jiceng.notifications",
    "jiceng.partners",
    "jiceng.services",
    "jiceng.participation",
    "jiceng.consultation",
]

MIDDLEWARE = [
    "jiceng.core.health.HealthMiddleware",  # /healthz, /readyz: before host checks and redirects
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jiceng.core.middleware.ChineseFirstLocaleMiddleware",  # Chinese unless chosen otherwise (cookie)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiceng.accounts.middleware.MustChangePasswordMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jiceng.core.security.NoStoreMiddleware",
    "jiceng.core.middleware.BadInputMiddleware",
    "jiceng.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jiceng.core.access.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Readiness (/readyz) fails when no background worker has beaten for this long (it beats every 10 s).
JICENG_WORKER_STALE_SECONDS = int(os.environ.get("JICENG_WORKER_STALE_SECONDS", "60"))

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jiceng" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiceng.core.context_processors.navigation",
            ],
        },
    }
]

# Django's form renderer with <input>, <select> and <option> written in Python (same HTML, less CPU).
FORM_RENDERER = "jiceng.core.renderers.FastRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}",
        # Production keeps each worker's connection (opening one costs the server a backend process
        # and more CPU than a page's queries: docs/scale.md, "Under load"); checked before reuse.
        conn_max_age=int(os.environ.get("JICENG_CONN_MAX_AGE", "300" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background worker and the web server write without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("JICENG_SQLITE_TEST_NAME") or None}
# Background work (imports, long exports) runs in `jiceng db_worker`; tests run tasks immediately.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("JICENG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Notifications (docs/notifications.md). E-mail is off unless JICENG_EMAIL_URL names an SMTP server:
# smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 (TLS), smtp://host:25?tls=0.
# Mails are sent by the background worker, never in a request.
EMAIL_URL = os.environ.get("JICENG_EMAIL_URL", "")
EMAIL_ENABLED = bool(EMAIL_URL)
if EMAIL_URL:
    from urllib.parse import parse_qs, unquote, urlsplit

    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured("JICENG_EMAIL_URL must start with smtp:// or smtps://")
    _query = parse_qs(_mail.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = not EMAIL_USE_SSL and _query.get("tls", ["1"])[0] != "0"
    EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("JICENG_EMAIL_FROM", "jiceng@localhost")
# Links in mails: the address users reach jiceng at, e.g. https://jiceng.example.org
JICENG_BASE_URL = os.environ.get("JICENG_BASE_URL", "")
# SMS: a dotted path to a class with send(phone, text), like EMAIL_BACKEND; empty (none) by default.
# Shipped: jiceng.notifications.sms.FileSender / ConsoleSender (development), HttpGatewaySender.
SMS_SENDER = os.environ.get("JICENG_SMS_SENDER", "")
SMS_FILE_PATH = os.environ.get("JICENG_SMS_FILE_PATH", "")  # FileSender's folder (default var/sms)
SMS_GATEWAY_URL = os.environ.get("JICENG_SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("JICENG_SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("JICENG_SMS_GATEWAY_TIMEOUT", "10"))
# Residents' SMS replies (docs/services.md): the token the gateway's callback must present; none: off.
SMS_INBOUND_TOKEN = os.environ.get("JICENG_SMS_INBOUND_TOKEN", "")
SMS_INBOUND_LIMIT = int(os.environ.get("JICENG_SMS_INBOUND_LIMIT", "10"))  # replies per phone per hour
# Public intake per client address per hour (docs/services.md "Abuse limits"): the question, then 429.
SERVICE_INTAKE_CAPTCHA_AFTER = int(os.environ.get("JICENG_SERVICE_INTAKE_CAPTCHA_AFTER", "2"))
SERVICE_INTAKE_LIMIT = int(os.environ.get("JICENG_SERVICE_INTAKE_LIMIT", "10"))
# Open311 GeoReport v2 (docs/services.md): the api_key values client apps must send to POST requests;
# none by default, so nobody can post through it until the installation gives keys out.
SERVICE_OPEN311_API_KEYS = [k for k in os.environ.get("JICENG_OPEN311_API_KEYS", "").split(",") if k.strip()]

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Optional single sign-on through OpenID Connect (docs/sso.md): off unless JICENG_OIDC_ENABLED=1.
OIDC_ENABLED = os.environ.get("JICENG_OIDC_ENABLED", "0") == "1"
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("jiceng.accounts.oidc.Backend")
    _oidc_missing = [
        name
        for name in (
            "JICENG_OIDC_CLIENT_ID",
            "JICENG_OIDC_CLIENT_SECRET",
            "JICENG_OIDC_AUTHORIZATION_ENDPOINT",
            "JICENG_OIDC_TOKEN_ENDPOINT",
            "JICENG_OIDC_USERINFO_ENDPOINT",
        )
        if not os.environ.get(name)
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(f"JICENG_OIDC_ENABLED=1 needs {', '.join(_oidc_missing)}")
OIDC_RP_CLIENT_ID = os.environ.get("JICENG_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("JICENG_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("JICENG_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("JICENG_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("JICENG_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("JICENG_OIDC_JWKS_ENDPOINT") or None
OIDC_RP_SIGN_ALGO = os.environ.get("JICENG_OIDC_SIGN_ALGO", "RS256" if OIDC_OP_JWKS_ENDPOINT else "HS256")
OIDC_RP_SCOPES = os.environ.get("JICENG_OIDC_SCOPES", "openid profile email")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 15
# The claim matched to a local login name, and whether an unknown person gets an account (no roles).
JICENG_OIDC_CLAIM = os.environ.get("JICENG_OIDC_CLAIM", "preferred_username")
OIDC_CREATE_USER = os.environ.get("JICENG_OIDC_CREATE_USERS", "0") == "1"
LOGIN_REDIRECT_URL_FAILURE = "/oidc/failed/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (core/access.py): 5 failures of one user name, from any address,
# lock the name for 30 minutes; 30 failures from one address, for any names, lock the address.
AXES_FAILURE_LIMIT = int(os.environ.get("JICENG_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("JICENG_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "jiceng.core.access.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "jiceng.core.access.client_ip"
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
TRUSTED_PROXIES = [p for p in os.environ.get("JICENG_TRUSTED_PROXIES", "").split(",") if p.strip()]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "jiceng"
# Two-step verification required of accounts that may reveal or export full identity numbers.
REQUIRE_TOTP = os.environ.get("JICENG_REQUIRE_TOTP", "1" if PRODUCTION else "0") == "1"
# API tokens (core/tokens.py) stop working this many days after they were issued.
API_TOKEN_DAYS = float(os.environ.get("JICENG_API_TOKEN_DAYS", "30"))

# Membership probes (core/probes.py): refusals of an identity number held elsewhere, per user.
ID_REFUSAL_LIMIT = int(os.environ.get("JICENG_ID_REFUSAL_LIMIT", "10"))
ID_REFUSAL_WINDOW_HOURS = float(os.environ.get("JICENG_ID_REFUSAL_WINDOW_HOURS", "24"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the language switch is remembered for a year
LOCALE_PATHS = [BASE_DIR / "jiceng" / "locale"]
TIME_ZONE = os.environ.get("JICENG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "jiceng" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = not PRODUCTION

# Limits on imported files (docs/security.md, "Limits on input"): what an upload may be and what
# reading it may cost, whatever it holds. Each can be changed through the environment.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("JICENG_IMPORT_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("JICENG_IMPORT_MAX_CELL_CHARS", "1000"))
# A workbook is a zip: its parts' declared sizes are checked before anything is parsed.
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = int(
    os.environ.get("JICENG_IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", str(2 * 1024 * 1024 * 1024))
)
IMPORT_MAX_XLSX_RATIO = int(os.environ.get("JICENG_IMPORT_MAX_XLSX_RATIO", "100"))
# Errors kept with their row, column and value; beyond, only counted by code.
IMPORT_MAX_ERRORS = int(os.environ.get("JICENG_IMPORT_MAX_ERRORS", "1000"))
# Uploads and reports of finished, failed or discarded import jobs are deleted after this many days.
IMPORT_RETENTION_DAYS = int(os.environ.get("JICENG_IMPORT_RETENTION_DAYS", "7"))
# A running import job whose worker has not written a heartbeat for this long is taken as dead.
IMPORT_HEARTBEAT_SECONDS = float(os.environ.get("JICENG_IMPORT_HEARTBEAT_SECONDS", "30"))
IMPORT_STALE_SECONDS = int(os.environ.get("JICENG_IMPORT_STALE_SECONDS", "300"))

# Strict CSP: nothing inline, nothing from another origin (intranets have no internet anyway).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("JICENG_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("JICENG_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call answers 401 with WWW-Authenticate: Token.
        "jiceng.core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "jiceng.core.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jiceng.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "jiceng API",
    "DESCRIPTION": "党建引领基层治理工作平台 API. Every list and object is restricted to the caller's scope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ParticipationTaskKindEnum": "jiceng.participation.models.TaskKind",
        "RegistrationStatusEnum": "jiceng.participation.models.RegistrationStatus",
        "MeetingKindEnum": "jiceng.life.models.MeetingKind",
        "MemberStatusEnum": "jiceng.members.models.Status",
        "OrgKindEnum": "jiceng.orgs.models.OrgKind",
        "PartnerKindEnum": "jiceng.partners.models.PartnerKind",
        "AgreementResourceKindEnum": "jiceng.partners.models.ResourceKind",
        "AgreementProjectStatusEnum": "jiceng.partners.models.ProjectStatus",
        "RequestFiguresKindEnum": ["community", "partner", "total"],
        "ConsultationSourceEnum": "jiceng.consultation.models.Source",
        "ConsultationTopicStatusEnum": "jiceng.consultation.models.TopicStatus",
        "ConsultationItemStatusEnum": "jiceng.consultation.models.ItemStatus",
        "ConsultationGroupEnum": "jiceng.consultation.models.Group",
        "ConsultationVerdictEnum": "jiceng.consultation.models.Verdict",
    },
}

FILTERS_EMPTY_CHOICE_LABEL = _("全部")

# Error reports (the DEBUG page, mails, logs) never show identity numbers, passwords, tokens, codes.
DEFAULT_EXCEPTION_REPORTER = "jiceng.core.security.SafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "jiceng.core.security.SensitiveDataFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"masked": {"()": "jiceng.core.security.MaskingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JICENG_LOG_LEVEL", "WARNING")},
}
