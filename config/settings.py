"""One settings file, driven by the environment.

Development and `make run` need no variables at all (SQLite under var/, and secrets made at
random on the first run into var/secrets.json, readable only by its owner: config/local_secrets.py).
Production sets GUANJIA_PRODUCTION=1, DJANGO_SECRET_KEY, GUANJIA_FIELD_KEYS,
GUANJIA_FIELD_INDEX_KEY, GUANJIA_GATEWAY_SECRET, ALLOWED_HOSTS and DATABASE_URL; see docs/deploy.md.
"""

import os
from pathlib import Path

import dj_database_url

from config import local_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GUANJIA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_flag("GUANJIA_PRODUCTION")
DEBUG = env_flag("DJANGO_DEBUG", default=False)
# Every secret from the environment, else (outside production) from var/secrets.json, made at
# random on the first run; production refuses to start without them (config/local_secrets.py).
_secrets = local_secrets.settings_secrets(os.environ, VAR_DIR, production=PRODUCTION)
SECRET_KEY = _secrets["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "axes",
    "huey.contrib.djhuey",
    "guanjia.core",
    "guanjia.estates",
    "guanjia.people",
    "guanjia.accounts",
    "guanjia.servicedesk",
    "guanjia.billing",
    "guanjia.frontdesk",
    "guanjia.notifications",
    "guanjia.reports",
    "guanjia.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so that static files keep their long caching; it sees request.user,
    # which the middleware below sets, on the way out.
    "guanjia.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "guanjia.core.context.staff_context",
                "guanjia.notifications.context.unread_badge",
            ],
        },
    },
]

# SQLite in WAL mode is the embedded default; DATABASE_URL selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'guanjia.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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

# The client's address behind reverse proxies: empty (no proxy trusted, X-Forwarded-For
# ignored), the number of our proxies in front of the app, or their addresses and networks.
# guanjia/core/http.py client_address() reads it; docs/deploy.md, "Behind a proxy".
GUANJIA_TRUSTED_PROXIES = os.environ.get("GUANJIA_TRUSTED_PROXIES", "")

# Lockout: five failures for one username from one address locks it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("GUANJIA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "guanjia.core.http.client_address"  # the real client behind our proxies
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(os.environ.get("GUANJIA_LOCALE_DIR", BASE_DIR / "locale"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The npm packages' files that pages load (guanjia/core/staticfinders.py), under vendor/.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "guanjia.core.staticfinders.VendorFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("GUANJIA_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
GUANJIA_IMPORT_MAX_BYTES = int(os.environ.get("GUANJIA_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
GUANJIA_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Front-desk searches one person may run in a minute (the box searches as they type).
GUANJIA_SEARCHES_PER_MINUTE = int(os.environ.get("GUANJIA_SEARCHES_PER_MINUTE", "60"))

# Photos and scanned images: at most this many pixels (a 12-megapixel phone photo is far below;
# a small file that decodes into gigabytes is not).
GUANJIA_PHOTO_MAX_PIXELS = int(os.environ.get("GUANJIA_PHOTO_MAX_PIXELS", str(40_000_000)))

# Field encryption keys for ID numbers: comma-separated Fernet keys, newest first, and the key
# of their blind index; both independent of SECRET_KEY. See docs/deploy.md, "Rotating the
# personal-data key".
GUANJIA_FIELD_KEYS = [k.strip() for k in _secrets["GUANJIA_FIELD_KEYS"].split(",") if k.strip()]
GUANJIA_FIELD_INDEX_KEY = _secrets["GUANJIA_FIELD_INDEX_KEY"]

# Background jobs: huey on SQLite by default, Redis when HUEY_REDIS_URL is set.
HUEY_REDIS_URL = os.environ.get("HUEY_REDIS_URL", "")
HUEY_IMMEDIATE = env_flag("HUEY_IMMEDIATE")
if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", "guanjia"),
        "url": HUEY_REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": os.environ.get("HUEY_NAME", "guanjia"),
        "filename": os.environ.get("HUEY_SQLITE_PATH", str(VAR_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
    }
HUEY["consumer"] = {"workers": 2, "worker_type": "thread", "max_delay": 1.0}

# What the processes must share, such as the per-user search limit: Redis when
# GUANJIA_CACHE_URL (or else HUEY_REDIS_URL) is set; otherwise files under var/cache, which
# gunicorn's workers on one machine share (a per-process cache would multiply the limit).
CACHE_URL = os.environ.get("GUANJIA_CACHE_URL", HUEY_REDIS_URL)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Security headers and cookies. HTTPS-only flags are driven by GUANJIA_HTTPS so that
# `make run` on plain http://127.0.0.1:8000 can still log in.
HTTPS = env_flag("GUANJIA_HTTPS", default=PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_flag("GUANJIA_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every answer (guanjia/core/middleware.py). Scripts come only from
# our own static files: no inline script, no eval (htmx runs with allowEval false). Style
# attributes are allowed (progress bars set their width) but <style> elements are not; no
# form-action, since paying online posts a form that is redirected to the payment gateway.
GUANJIA_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # browsers without the two below
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "guanjia@localhost")
# SMS: a provider's client with send(phone, text); the default writes to the log.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "guanjia.notifications.sms.LoggingBackend")
# Online payment (guanjia/billing/gateways): where payers are sent. "sandbox" is the app's own
# pay page (the demo; refused in production), "wechat" WeChat Pay v3, "alipay" Alipay; empty:
# no online payment. The sandbox signs its notifications with this secret (HMAC-SHA256).
BILLING_GATEWAY = os.environ.get("GUANJIA_PAYMENT_GATEWAY", "" if PRODUCTION else "sandbox")
BILLING_GATEWAY_SECRET = _secrets["GUANJIA_GATEWAY_SECRET"]
# The merchant's WeChat Pay v3 account: notifications are checked with WeChat's platform key
# (PEM, and its serial as sent in Wechatpay-Serial) and decrypted with the APIv3 key.
WECHATPAY = {
    "mchid": os.environ.get("GUANJIA_WECHATPAY_MCHID", ""),
    "appid": os.environ.get("GUANJIA_WECHATPAY_APPID", ""),
    "apiv3_key": os.environ.get("GUANJIA_WECHATPAY_APIV3_KEY", ""),
    "platform_public_key": os.environ.get("GUANJIA_WECHATPAY_PLATFORM_PUBLIC_KEY", ""),
    "platform_serial": os.environ.get("GUANJIA_WECHATPAY_PLATFORM_SERIAL", ""),
}
# The Alipay app: our requests are signed with the app's private key, Alipay's notifications
# checked with the Alipay public key (both RSA2; PEM or the bare base64 Alipay shows).
ALIPAY = {
    "app_id": os.environ.get("GUANJIA_ALIPAY_APP_ID", ""),
    "app_private_key": os.environ.get("GUANJIA_ALIPAY_APP_PRIVATE_KEY", ""),
    "alipay_public_key": os.environ.get("GUANJIA_ALIPAY_PUBLIC_KEY", ""),
    "gateway_url": os.environ.get("GUANJIA_ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do"),
    "notify_url": os.environ.get("GUANJIA_ALIPAY_NOTIFY_URL", ""),
    "return_url": os.environ.get("GUANJIA_ALIPAY_RETURN_URL", ""),
}
# Links in emails and SMS point here.
SITE_URL = os.environ.get("GUANJIA_SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# Accounts (issue 11, item 7): API tokens expire this many days after they are issued; a login
# whose password a manager reset reaches only the password-change page until it chooses one.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("GUANJIA_API_TOKEN_DAYS", "30"))
MIDDLEWARE = [*MIDDLEWARE, "guanjia.accounts.middleware.PasswordChangeRequired"]

# Reliability of the worker (issue 11). A job's worker renews its lease while it works; a job
# whose lease ran out (its worker was killed) is resumed by the sweep every minute, and failed
# for its person to retry after GUANJIA_JOB_MAX_ATTEMPTS tries. An outbox message claimed for
# sending is tried again if not recorded as sent within its send lease (delivery is at least
# once, with an idempotency key); EMAIL_TIMEOUT bounds each wait on the mail server.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", str(EMAIL_TIMEOUT)))
GUANJIA_OUTBOX_SEND_LEASE_SECONDS = int(os.environ.get("GUANJIA_OUTBOX_SEND_LEASE_SECONDS", "600"))
GUANJIA_JOB_LEASE_SECONDS = int(os.environ.get("GUANJIA_JOB_LEASE_SECONDS", "300"))
GUANJIA_JOB_MAX_ATTEMPTS = int(os.environ.get("GUANJIA_JOB_MAX_ATTEMPTS", "3"))
