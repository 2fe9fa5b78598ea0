"""The OpenAPI schema: valid without a single warning (as CI checks it), and
every operation documented with its scope, request and response examples and
the house error format."""

import jsonschema
import pytest
from django.core.management import call_command

from tests.api.conftest import generated_schema

METHODS = ("get", "put", "post", "patch", "delete")
JSON_LIKE = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def has_example(content: dict) -> bool:
    return bool(content.get("examples")) or "example" in content


@pytest.mark.django_db
def test_spectacular_validate_fail_on_warn_passes(tmp_path):
    """What CI runs: `manage.py spectacular --validate --fail-on-warn`."""
    out = tmp_path / "schema.yml"
    # Raises (SchemaGenerationError) on any warning or an invalid document.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.stat().st_size > 100_000


@pytest.fixture(scope="module")
def schema():
    return generated_schema()


def test_every_operation_names_its_scope(schema):
    scopes = set(
        schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    )
    missing = []
    for method, path, op in operations(schema):
        granted = [s for req in op.get("security", []) for s in req.get("oauth2", [])]
        if not any("oauth2" in req for req in op.get("security", [])):
            # Not for OAuth2 clients by design (a feedback link's token, a
            # tracking device's or a sales channel's credential): it says so.
            assert "**Scope:** none" in op["description"], (method, path)
            continue
        if len(granted) != 1 or granted[0] not in scopes:
            missing.append(f"{method} {path}: security {op.get('security')}")
        elif f"**Scope:** `{granted[0]}`" not in op.get("description", ""):
            missing.append(f"{method} {path}: scope not in the description")
    assert not missing, "\n".join(missing)


def test_every_operation_has_request_and_response_examples(schema):
    missing = []
    for method, path, op in operations(schema):
        body = op.get("requestBody")
        if body:
            for media_type, content in body["content"].items():
                if media_type in JSON_LIKE and not has_example(content):
                    missing.append(f"{method} {path}: no request example ({media_type})")
        successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert successes, f"{method} {path}: no success response"
        for code, response in successes.items():
            for media_type, content in (response.get("content") or {}).items():
                if media_type == "application/json" and not has_example(content):
                    missing.append(f"{method} {path}: no {code} response example")
    assert not missing, "\n".join(missing)


def test_errors_are_documented_in_the_house_format(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for method, path, op in operations(schema):
        responses = op["responses"]
        if any(op.get("security", [])):
            for code in ("401", "403"):
                assert code in responses, f"{method} {path}: {code} undocumented"
        if "{" in path:
            assert "404" in responses, f"{method} {path}: 404 undocumented"
        for code, response in responses.items():
            if code.startswith("4") and "application/json" in response.get("content", {}):
                content = response["content"]["application/json"]
                if content["schema"] == {"$ref": "#/components/schemas/Error"}:
                    example = next(iter(content["examples"].values()))["value"]
                    assert set(example["error"]) == {"code", "message", "fields"}


def test_hand_written_examples_are_kept(schema):
    """The important operations carry hand-written examples, not generated ones."""
    generated = "Generated from the schema"
    for method, path in [
        ("post", "/api/v1/orders/"),
        ("post", "/api/v1/customers/"),
        ("post", "/api/v1/products/"),
    ]:
        content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert all(generated not in e.get("summary", "") for e in content["examples"].values())


def test_generated_examples_follow_the_schema(schema):
    """A generated example has every property of its schema, typed."""
    op = schema["paths"]["/api/v1/orders/{number}/"]["get"]
    example = op["responses"]["200"]["content"]["application/json"]["examples"]
    value = next(iter(example.values()))["value"]
    assert isinstance(value["lines"], list) and value["lines"]
    assert isinstance(value["number"], str)


def _json_schema(node):
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a null branch."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str) and "$ref" not in node and "allOf" not in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def test_every_example_matches_its_schema(schema):
    """Hand-written and generated examples alike: a client validating against
    the schema accepts each request example and each response example."""
    root = {"components": _json_schema(schema["components"])}
    wrong = []

    def check(where, body_schema, examples):
        validator = jsonschema.Draft7Validator(
            {**root, **_json_schema(body_schema)}, format_checker=jsonschema.FormatChecker()
        )
        for name, example in examples.items():
            for error in validator.iter_errors(example["value"]):
                wrong.append(f"{where} {name}: {error.json_path}: {error.message[:160]}")

    for method, path, op in operations(schema):
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            check(f"{method} {path} request", content["schema"], content.get("examples", {}))
        for code, response in op["responses"].items():
            content = (response.get("content") or {}).get("application/json")
            if content and "schema" in content:
                check(f"{method} {path} {code}", content["schema"], content.get("examples", {}))
    assert not wrong, f"{len(wrong)} examples break their schema:\n" + "\n".join(wrong[:80])


def test_answers_are_described_as_they_come_out(schema):
    """Fields that can be null or blank in real answers say so (the fuzz test
    found each of these answering null / "" against a schema that forbade it)."""
    components = schema["components"]["schemas"]
    assert components["Ticket"]["properties"]["shipment"]["nullable"] is True  # default=None
    assert components["ShipmentDetail"]["properties"]["carrier"]["nullable"] is True  # null FK
    assert components["TicketSla"]["properties"]["first_response_due_at"]["nullable"] is True
    assert components["Report"]["properties"]["download_url"]["nullable"] is True
    assert "format" not in components["TicketDetail"]["properties"]["contact_email"]  # "" allowed
    shift = components["DispatchPlan"]["properties"]["shift_start"]
    assert "format" not in shift and shift["pattern"].startswith("^\\d{2}:")
    # One object, not a list, nor a page of them.
    kpis = schema["paths"]["/api/v1/kpis/"]["get"]["responses"]["200"]["content"]
    assert kpis["application/json"]["schema"] == {"$ref": "#/components/schemas/KpiList"}
    carbon = schema["paths"]["/api/v1/shipments/carbon/"]["get"]["responses"]["200"]
    assert carbon["content"]["application/json"]["schema"]["type"] == "array"


def test_idempotency_key_is_documented_where_it_is_honoured(schema):
    create = schema["paths"]["/api/v1/orders/"]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert "422" in create["responses"] and "409" in create["responses"]
    # Not on reads, nor on the device telemetry (no IdempotentMixin there).
    assert all(
        p["name"] != "Idempotency-Key"
        for p in schema["paths"]["/api/v1/orders/"]["get"].get("parameters", [])
    )
    telemetry = schema["paths"]["/api/v1/telemetry/"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in telemetry.get("parameters", []))
