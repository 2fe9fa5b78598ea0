"""Settings of the app under benchmark: the production settings plus the
baseline view (bench.urls)."""

from erp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
