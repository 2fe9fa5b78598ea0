"""The API is described by a valid OpenAPI 3 schema, and its docs load only
from this server."""

import re

import pytest
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/customers/", "/api/v1/products/", "/api/v1/channels/"):
        assert path in schema["paths"]
    oauth = schema["components"]["securitySchemes"]["oauth2"]
    assert oauth["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    create = schema["paths"]["/api/v1/customers/"]["post"]
    assert {"oauth2": ["crm:write"]} in create["security"]
    assert create["requestBody"]["content"]["application/json"]["examples"]


@pytest.mark.django_db
def test_docs_page_loads_nothing_from_elsewhere(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    script = client.get("/api/docs/?script=").content.decode()
    assert "/api/schema/" in script
    assert "cdn" not in script.lower()
