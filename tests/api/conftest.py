"""Shared by the API quality tests: the generated schema as a plain dict."""

import json

import pytest
from django.conf import settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator


def generated_schema(lang: str | None = None) -> dict:
    """The OpenAPI document as /api/schema/ serves it (in `lang`, default the
    site's language); the JSON round trip turns lazy strings and ordered dicts
    into plain values."""
    with translation.override(lang or settings.LANGUAGE_CODE):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(schema, default=str))


@pytest.fixture(scope="session")
def openapi_schema() -> dict:
    return generated_schema()
