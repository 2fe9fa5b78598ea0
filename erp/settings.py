"""Settings for the ERP downstream suite.

Everything comes from environment variables (django-environ) with safe
development defaults: with nothing set you get SQLite, eager Celery, a local
memory cache and e-mail on the console. Production differs only by
environment; see the table in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    # No default: a production process must never run with a known or weak key.
    SECRET_KEY = env("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be a random value of at least 50 characters when DJANGO_DEBUG=0."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "django_celery_beat",
    # ours, bottom to top of the import direction
    "erp.core",
    "crm",
    "inventory",
    "orders",
    "logistics",
    "aftersales",
    "analytics",
    "erp",  # top: project-wide commands (seed_demo)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "erp.urls"
WSGI_APPLICATION = "erp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "erp.navigation.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests in the demo server wait for the write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Write-ahead log: readers do not block the writer, and a commit does not
    # wait for the disk twice (the demo seeds tens of thousands of rows).
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="erp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
# Without a broker the embedded default runs every task in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = env("TIME_ZONE", default="Asia/Shanghai")

# Trusted reverse proxies in front of the app: how client addresses are found
# for lockout, audit and API throttles. 0: the socket address, headers ignored.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# --- Authentication -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before anything else runs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "erp.core.services.client_ip"
AXES_VERBOSE = False

# --- Integrators: OAuth2 client credentials ------------------------------
# Scopes are per domain; a client only ever gets the scopes it was created with
# (erp.core.oauth.IntegrationScopes).
OAUTH2_PROVIDER = {
    "SCOPES": {
        "orders:read": "Read orders and sales channels",
        "orders:write": "Create and change orders",
        "inventory:read": "Read products, warehouses and stock",
        "inventory:write": "Change products and stock",
        "logistics:read": "Read shipments, carriers and tracking",
        "logistics:write": "Change shipments and push tracking events",
        "aftersales:read": "Read tickets, returns and repairs",
        "aftersales:write": "Create and change tickets, returns and repairs",
        "crm:read": "Read customers",
        "crm:write": "Create and change customers",
        "analytics:read": "Read alerts, KPIs, forecasts and reports",
        "analytics:write": "Acknowledge, assign and resolve alerts; request reports",
        "transfers:read": "Follow bulk import and export jobs and download their files",
        "transfers:write": "Start bulk imports and exports (with the data's own scope)",
        "webhooks:read": "Read webhook subscriptions and their delivery log",
        "webhooks:write": "Manage webhook subscriptions; replay deliveries",
    },
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "erp.core.oauth.IntegrationScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_TOKEN_SECONDS", default=3600),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # Follow the OAuth 2.0 Security BCP (RFC 9700) now rather than when it becomes the default.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

# Named so that our migrations can point at the (swappable) application model.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105

# --- REST API -------------------------------------------------------------
API_PAGE_SIZE = 50
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an anonymous call is answered 401 with a Bearer challenge.
        "erp.core.api.authentication.IntegrationAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["erp.core.api.permissions.ScopeOrModelPermission"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "erp.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "erp.core.api.throttling.ClientRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env("API_THROTTLE_CLIENT", default="1200/min"),
        "anon": env("API_THROTTLE_ANON", default="60/min"),
    },
    "EXCEPTION_HANDLER": "erp.core.api.errors.exception_handler",
    "NUM_PROXIES": PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "erp.core.api.schema.AutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# Longer than any request may run (gunicorn's timeout is 60 s).
IDEMPOTENCY_IN_FLIGHT_TIMEOUT = timedelta(
    seconds=env.int("IDEMPOTENCY_IN_FLIGHT_SECONDS", default=120)
)

SPECTACULAR_SETTINGS = {
    "TITLE": "ERP downstream suite API",
    "DESCRIPTION": (
        "Orders from every channel, stock, shipments, after-sales and customers. "
        "Integrators authenticate with OAuth2 client credentials at /o/token/ and "
        "send the access token as `Authorization: Bearer <token>`. POST endpoints "
        "accept an `Idempotency-Key` header; errors share one format: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Scopes in each description, the house error responses and an example
    # for every request and response (erp/core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "erp.core.api.schema.postprocess_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "crm.models.Customer.Kind",
        "TransferJobStatusEnum": "erp.core.models.TransferJob.Status",
        "TransferJobFormatEnum": "erp.core.models.TransferJob.Format",
        "TransferJobDirectionEnum": "erp.core.models.TransferJob.Direction",
        "TransferKindEnum": "erp.core.api.transfers.KIND_CHOICES",
        "WebhookSubscriptionStatusEnum": "erp.core.models.WebhookSubscription.Status",
        "WebhookDeliveryStatusEnum": "erp.core.models.WebhookDelivery.Status",
        "WebhookEventTypeEnum": "erp.core.api.webhooks.EVENT_CHOICES",
        "CustomerTierEnum": "crm.models.Customer.Tier",
        "WarehouseKindEnum": "inventory.models.Warehouse.Kind",
        "SalesChannelKindEnum": "orders.models.SalesChannel.Kind",
        "OrderStatusEnum": "orders.models.Order.Status",
        "ReservationStatusEnum": "orders.models.Reservation.Status",
        "StockCountStatusEnum": "inventory.models.StockCount.Status",
        "VehicleStatusEnum": "logistics.models.Vehicle.Status",
        "ShipmentStatusEnum": "logistics.models.Shipment.Status",
        "ShipmentExceptionStatusEnum": "logistics.models.ShipmentException.Status",
        "ShipmentExceptionKindEnum": "logistics.models.ShipmentException.Kind",
        "ShipmentEventKindEnum": "logistics.models.ShipmentEvent.Kind",
        "ShipmentEventSourceEnum": "logistics.models.ShipmentEvent.Source",
        "PickWaveStatusEnum": "logistics.models.PickWave.Status",
        "DispatchPlanStatusEnum": "logistics.models.DispatchPlan.Status",
        "TicketKindEnum": "aftersales.models.TicketKind",
        "TicketChannelEnum": "aftersales.models.Ticket.Channel",
        "TicketStatusEnum": "aftersales.models.Ticket.Status",
        "TicketMessageKindEnum": "aftersales.models.TicketMessage.Kind",
        "ReturnRequestStatusEnum": "aftersales.models.ReturnRequest.Status",
        "ReturnRequestKindEnum": "aftersales.models.ReturnRequest.Kind",
        "RepairOrderStatusEnum": "aftersales.models.RepairOrder.Status",
        "ContactRoleEnum": "crm.models.Contact.Role",
        "ConsentSourceEnum": "crm.models.Customer.ConsentSource",
        "CustomerLanguageEnum": "crm.models.Customer.Language",
        "InteractionKindEnum": "crm.models.Interaction.Kind",
        "InteractionDirectionEnum": "crm.models.Interaction.Direction",
        "RfmSegmentEnum": "crm.models.CustomerScore.Segment",
        "ChurnLevelEnum": "crm.models.CustomerScore.ChurnLevel",
        "CareTaskStatusEnum": "crm.models.CareTask.Status",
        "CareTaskPriorityEnum": "crm.models.CareTask.Priority",
        "PriorityEnum": "aftersales.models.Priority",
        "CampaignChannelEnum": "crm.models.Campaign.Channel",
        "CampaignStatusEnum": "crm.models.Campaign.Status",
        "AlertKindEnum": "analytics.models.Alert.Kind",
        "AlertSeverityEnum": "analytics.models.Alert.Severity",
        "AlertStatusEnum": "analytics.models.Alert.Status",
        "ForecastGranularityEnum": "analytics.models.Granularity",
        "ForecastMethodEnum": "analytics.models.ForecastRun.Method",
        "KpiStatusEnum": "analytics.api.kpis.KPI_STATUS_CHOICES",
        "KpiBreakdownEnum": "analytics.api.kpis.BREAKDOWN_CHOICES",
        "ReportKindEnum": "analytics.models.reports.ReportKind",
        "ReportFormatEnum": "analytics.models.reports.ReportFormat",
        "ReportStatusEnum": "analytics.models.Report.Status",
        "InboundMessageStatusEnum": "orders.models.InboundMessage.Status",
        "InboundMessageKindEnum": "orders.models.InboundMessage.Kind",
    },
}

FILTERS_EMPTY_CHOICE_LABEL = _("any")

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="CNY")
# Who is served first when stock is short (orders.services.priority).
ORDER_PRIORITY_WEIGHTS = {
    "urgency": env.float("ORDER_PRIORITY_URGENCY", default=1.0),
    "tier": env.float("ORDER_PRIORITY_TIER", default=1.0),
    "margin": env.float("ORDER_PRIORITY_MARGIN", default=0.5),
}
# How long a request waits for a row lock before answering 409 lock_timeout.
LOCK_TIMEOUT_MS = env.int("LOCK_TIMEOUT_MS", default=5000)
# An unshipped order is "at risk" this many days before its promised date.
ORDER_AT_RISK_DAYS = env.int("ORDER_AT_RISK_DAYS", default=3)
# Tracking: how far in the future an event or reading may be (clock drift of
# carriers and devices); hours without movement before a shipment on the road
# is flagged; readings per telemetry request; requests per device.
TRACKING_FUTURE_TOLERANCE = timedelta(
    minutes=env.int("TRACKING_FUTURE_TOLERANCE_MINUTES", default=10)
)
TRACKING_NO_MOVEMENT_HOURS = env.float("TRACKING_NO_MOVEMENT_HOURS", default=6)
TRACKING_MOVED_METRES = env.int("TRACKING_MOVED_METRES", default=200)
TRACKING_TELEMETRY_BATCH_LIMIT = env.int("TRACKING_TELEMETRY_BATCH_LIMIT", default=1000)
TRACKING_DEVICE_THROTTLE = env("TRACKING_DEVICE_THROTTLE", default="240/min")

# CRM scoring (crm.services.scoring): a customer with one order is expected
# to buy again after this many days; churn risk is 0 while the days since the
# last order stay within the usual interval and 1 at CRM_CHURN_FULL_RATIO times it.
CRM_DEFAULT_INTERVAL_DAYS = env.int("CRM_DEFAULT_INTERVAL_DAYS", default=90)
CRM_CHURN_FULL_RATIO = env.float("CRM_CHURN_FULL_RATIO", default=4.0)
# Days within which a first order makes a customer "new".
CRM_NEW_CUSTOMER_DAYS = env.int("CRM_NEW_CUSTOMER_DAYS", default=30)

# Analytics: the longest custom period a dashboard shows (days), and open
# orders per page of the fulfilment timeline.
ANALYTICS_DASHBOARD_MAX_DAYS = env.int("ANALYTICS_DASHBOARD_MAX_DAYS", default=731)
ANALYTICS_TIMELINE_PER_PAGE = env.int("ANALYTICS_TIMELINE_PER_PAGE", default=100)
# Demand forecasts (analytics.services.forecasting): days of order history
# fitted, periods forecast per granularity (also the backtest's holdout), the
# prediction interval; reorder suggestions: the service level behind the
# safety stock and the days of demand one reorder covers; the stock-out scan
# uses a forecast no older than ANALYTICS_FORECAST_MAX_AGE_HOURS.
ANALYTICS_FORECAST_HISTORY_DAYS = env.int("ANALYTICS_FORECAST_HISTORY_DAYS", default=1096)
ANALYTICS_FORECAST_HORIZONS = {"month": 6, "week": 13, "day": 56}
ANALYTICS_FORECAST_INTERVAL = env.float("ANALYTICS_FORECAST_INTERVAL", default=0.95)
ANALYTICS_SERVICE_LEVEL = env.float("ANALYTICS_SERVICE_LEVEL", default=0.95)
ANALYTICS_REORDER_REVIEW_DAYS = env.int("ANALYTICS_REORDER_REVIEW_DAYS", default=30)
ANALYTICS_FORECAST_MAX_AGE_HOURS = env.int("ANALYTICS_FORECAST_MAX_AGE_HOURS", default=48)
# The refresh fits thousands of tiny models: BLAS threads only add overhead
# there (ten times slower on two busy cores). Must be set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Reports (analytics.services.reports): files kept this many days, then
# deleted by the purge job; the longest period one report covers; rows per
# progress update; rows a PDF holds (XLSX for more); reports one person may
# have waiting or running; the largest file mailed as an attachment (bigger
# ones are linked); recipients per schedule; how far back missed scheduled
# runs are caught up.
ANALYTICS_REPORT_RETENTION_DAYS = env.int("ANALYTICS_REPORT_RETENTION_DAYS", default=30)
ANALYTICS_REPORT_MAX_DAYS = env.int("ANALYTICS_REPORT_MAX_DAYS", default=1096)
ANALYTICS_REPORT_PROGRESS_EVERY = env.int("ANALYTICS_REPORT_PROGRESS_EVERY", default=500)
ANALYTICS_REPORT_PDF_MAX_ROWS = env.int("ANALYTICS_REPORT_PDF_MAX_ROWS", default=5000)
ANALYTICS_REPORT_MAX_PENDING = env.int("ANALYTICS_REPORT_MAX_PENDING", default=5)
ANALYTICS_REPORT_MAIL_MAX_BYTES = env.int("ANALYTICS_REPORT_MAIL_MAX_BYTES", default=10_000_000)
ANALYTICS_REPORT_MAX_RECIPIENTS = env.int("ANALYTICS_REPORT_MAX_RECIPIENTS", default=20)
ANALYTICS_REPORT_CATCH_UP_HOURS = env.int("ANALYTICS_REPORT_CATCH_UP_HOURS", default=24)
# KPIs (analytics.selectors.kpis) and their daily rollup (analytics.services.rollup):
# the longest period asked for (days); the amber band of a target without a
# tolerance of its own (% of the target); the days before today every
# incremental run rebuilds whatever changed; how far before a run's start the
# next run looks for changed rows (transactions that committed late).
ANALYTICS_KPI_MAX_DAYS = env.int("ANALYTICS_KPI_MAX_DAYS", default=1096)
ANALYTICS_KPI_AMBER_PERCENT = env.float("ANALYTICS_KPI_AMBER_PERCENT", default=5.0)
ANALYTICS_ROLLUP_RECENT_DAYS = env.int("ANALYTICS_ROLLUP_RECENT_DAYS", default=2)
ANALYTICS_ROLLUP_OVERLAP_MINUTES = env.int("ANALYTICS_ROLLUP_OVERLAP_MINUTES", default=30)

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages installed by npm at setup time, served by us (no CDN).
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/frappe-gantt", BASE_DIR / "node_modules" / "frappe-gantt" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- E-mail ---------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="erp@example.com")

# Notification backends per channel (erp.core.notifications): e-mail through
# Django's mail; SMS and app push through an HTTP provider once its URL is set
# (a JSON POST with the token), else printed to the console (development).
_HTTP_BACKEND = "erp.core.notifications.HttpProviderBackend"
_CONSOLE_BACKEND = "erp.core.notifications.ConsoleBackend"
NOTIFICATION_HTTP = {
    channel: {
        "url": env(f"NOTIFY_{channel.upper()}_URL", default=""),
        "token": env(f"NOTIFY_{channel.upper()}_TOKEN", default=""),
        # "Authorization" sends "Bearer <token>"; any other header the bare token.
        "header": env(f"NOTIFY_{channel.upper()}_TOKEN_HEADER", default="Authorization"),
        "timeout": env.float("NOTIFY_HTTP_TIMEOUT", default=10.0),
    }
    for channel in ("sms", "push")
}
NOTIFICATION_BACKENDS = {
    "email": env("NOTIFY_EMAIL_BACKEND", default="erp.core.notifications.EmailBackend"),
    "sms": env(
        "NOTIFY_SMS_BACKEND",
        default=_HTTP_BACKEND if NOTIFICATION_HTTP["sms"]["url"] else _CONSOLE_BACKEND,
    ),
    "push": env(
        "NOTIFY_PUSH_BACKEND",
        default=_HTTP_BACKEND if NOTIFICATION_HTTP["push"]["url"] else _CONSOLE_BACKEND,
    ),
}
# Bodies blanked once delivered or failed for good (one-time sign-in codes).
NOTIFICATION_REDACT_KEY_PREFIXES = ("portal-signin:",)
# Customer notifications (erp.portal.notifications) also go as an app push
# addressed to the customer's code, for an app that registers it with the
# push provider once the customer signs in.
NOTIFY_CUSTOMER_PUSH = env.bool("NOTIFY_CUSTOMER_PUSH", default=False)
# Public address of the site, for links in notifications (survey, portal).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# After-sales: the return window where no return policy applies, and the
# repair labour rate per hour (fixed on each repair when it is opened).
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=7)
REPAIR_LABOUR_RATE = env("REPAIR_LABOUR_RATE", default="80.00")

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from hx-headers in base.html
CSRF_FAILURE_VIEW = "erp.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# Only our own origin: no script, style or font is ever fetched from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Swagger UI and htmx indicators set inline styles.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "erp.security": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        # WeasyPrint logs every layout step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Application ----------------------------------------------------------
SITE_NAME = _("ERP downstream suite")
COMPANY_NAME = env("COMPANY_NAME", default="")

from erp.celery_settings import *  # noqa: E402,F403  (queues, routes, beat schedule)

# --- Portal: customer sign-in with a one-time code (erp.portal.otp) -----------
# How long a signed-in customer stays signed in (seconds, from the sign-in).
PORTAL_SESSION_SECONDS = env.int("PORTAL_SESSION_SECONDS", default=4 * 3600)
# A code's life, wrong tries per code, and the least wait before a new code.
PORTAL_SIGNIN_CODE_SECONDS = env.int("PORTAL_SIGNIN_CODE_SECONDS", default=600)
PORTAL_SIGNIN_CODE_ATTEMPTS = env.int("PORTAL_SIGNIN_CODE_ATTEMPTS", default=5)
PORTAL_SIGNIN_RESEND_SECONDS = env.int("PORTAL_SIGNIN_RESEND_SECONDS", default=60)
# Per hour: codes asked for from one IP, codes sent to one address, codes tried from one IP.
PORTAL_SIGNIN_REQUESTS_PER_IP = env.int("PORTAL_SIGNIN_REQUESTS_PER_IP", default=20)
PORTAL_SIGNIN_CODES_PER_ADDRESS = env.int("PORTAL_SIGNIN_CODES_PER_ADDRESS", default=5)
PORTAL_SIGNIN_CHECKS_PER_IP = env.int("PORTAL_SIGNIN_CHECKS_PER_IP", default=30)

# --- Portal: secret link and lookup (erp.portal.access) ---------------------
# Lookups (order number + phone tail or postcode) per hour from one IP, per
# hour and per day for one order number; unknown /track/<token>/ links per
# hour from one IP before that IP gets 429 for every token.
PORTAL_LOOKUPS_PER_IP_HOUR = env.int("PORTAL_LOOKUPS_PER_IP_HOUR", default=30)
PORTAL_LOOKUPS_PER_ORDER_HOUR = env.int("PORTAL_LOOKUPS_PER_ORDER_HOUR", default=10)
PORTAL_LOOKUPS_PER_ORDER_DAY = env.int("PORTAL_LOOKUPS_PER_ORDER_DAY", default=20)
PORTAL_TOKEN_MISSES_PER_IP_HOUR = env.int("PORTAL_TOKEN_MISSES_PER_IP_HOUR", default=20)

# --- Portal: self-service (erp.portal.views.selfservice) --------------------
# Per hour: returns, repairs, complaints, replies and ratings sent (every
# POST counts) from one IP and for one order; wrong checks (phone tail or
# postcode, asked once per session before the first of them) for one order
# and from one IP.
PORTAL_SELFSERVICE_WRITES_PER_HOUR = env.int("PORTAL_SELFSERVICE_WRITES_PER_HOUR", default=30)
PORTAL_SELFSERVICE_CHECKS_PER_HOUR = env.int("PORTAL_SELFSERVICE_CHECKS_PER_HOUR", default=10)
# ... and wrong checks for one order per day (the lookup form's daily limit).
PORTAL_SELFSERVICE_CHECKS_PER_DAY = env.int("PORTAL_SELFSERVICE_CHECKS_PER_DAY", default=20)

# --- Webhooks: outbound events to subscribers (erp.core.webhooks) -------------
# A failing delivery is retried with exponential backoff and full jitter
# (a random wait up to BASE x 2^(attempt-1) seconds, at most MAX) for this
# many hours after the event; then it fails and its subscription is disabled.
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
# ... or once this many attempts in a row failed, across events.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=100)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Receivers on private, loopback or link-local addresses are refused unless
# allowed (development, tests, an intranet receiver).
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)
# Finished deliveries (succeeded, or failed and not replayed) whose last
# attempt is older than this are deleted with their attempts (beat job
# purge-webhook-log); waiting ones are kept whatever their age.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)
# Outbox: a failing handler is retried at the next sweeps this many times,
# then after growing waits (1, 2, 4... minutes, at most an hour); published
# events are deleted after OUTBOX_RETENTION_DAYS.
OUTBOX_RETRY_FREE_ATTEMPTS = 3
OUTBOX_RETRY_MAX_SECONDS = 3600
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)

# --- Inbound channel connectors (orders.connectors) -----------------------
# A paid or cancelled message whose order has not arrived is held and retried
# (orders.inbound_retry_held) for this many hours, then marked expired.
INBOUND_HOLD_HOURS = env.int("INBOUND_HOLD_HOURS", default=72)
# Requests per channel to /api/v1/channels/{code}/inbound/.
INBOUND_THROTTLE_RATE = env("INBOUND_THROTTLE_RATE", default="600/min")

# --- Bulk import and export in the background (erp.core.transfers) ----------
# The module listing the importers and exporters of every app (IMPORTERS, EXPORTERS).
TRANSFER_REGISTRY = "erp.imports"
# Largest file accepted for an import, in MB.
TRANSFER_MAX_UPLOAD_MB = env.int("TRANSFER_MAX_UPLOAD_MB", default=50)
# Largest size an uploaded XLSX may unpack to, in MB (a zip bomb is refused).
TRANSFER_MAX_XLSX_UNPACKED_MB = env.int("TRANSFER_MAX_XLSX_UNPACKED_MB", default=500)
# Units (a row, or an order's rows) written per transaction in a real import.
TRANSFER_BATCH_SIZE = env.int("TRANSFER_BATCH_SIZE", default=500)
# A job queued or running with no progress for this many minutes is failed
# (its worker died; beat job sweep-transfers). Keep it above the task time
# limit (CELERY_TASK_TIME_LIMIT, 15 minutes): a dry run writes its progress
# to the cache, not to the job row, until it ends.
TRANSFER_STALE_MINUTES = env.int("TRANSFER_STALE_MINUTES", default=30)
# The files of a job (upload, result, errors) are deleted this many days
# after it finished; the job keeps its counts and row errors.
TRANSFER_RETENTION_DAYS = env.int("TRANSFER_RETENTION_DAYS", default=30)
