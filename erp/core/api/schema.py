"""How the API describes itself (drf-spectacular).

- Authentication: OAuth2 client credentials, with the scope each operation
  needs (`<domain>:read` / `<domain>:write` from the view's `scope_domain`).
- `AutoSchema`: answers described as they really come out (nullable and
  blank read-only fields).
- `postprocess_schema`: on every operation its scope in the description, the
  house error responses, and request and response examples (hand-written
  ones from erp.core.api.examples, else derived from the schema).

tests/api/ holds the checks: the schema is valid without warnings, every
operation is documented so, Schemathesis finds no 5xx and no answer that
breaks the schema, and a client generated from it works.
"""

import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from erp.core.api.examples import RESPONSE_EXAMPLES


class IntegrationAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "erp.core.api.authentication.IntegrationAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Client credentials from `manage.py create_integration`.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/o/token/",
                    "scopes": dict(settings.OAUTH2_PROVIDER["SCOPES"]),
                }
            },
        }

    def get_security_requirement(self, auto_schema):
        domain = getattr(auto_schema.view, "scope_domain", None)
        if domain is None:
            return {self.name: []}
        access = "read" if auto_schema.method in SAFE_METHODS else "write"
        return {self.name: [f"{domain}:{access}"]}


def _model_field_at(field):
    """The model field a serializer field reads (following its dotted source
    through forward relations), and whether any step on the way may be null."""
    meta = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or field.source == "*" or not getattr(field, "source_attrs", None):
        return None, False
    nullable = False
    model_field = None
    for attr in field.source_attrs:
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, nullable
        if model_field.one_to_many or model_field.many_to_many:
            return None, False
        if model_field.auto_created and model_field.one_to_one:
            nullable = True  # a reverse one-to-one may be missing
        nullable = nullable or bool(getattr(model_field, "null", False))
        if model_field.is_relation and model_field.related_model is not None:
            model = model_field.related_model
    return model_field, nullable


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any ASCII string of up to 255 characters, unique per intended operation. "
        "Sending the same key again replays the first answer (header "
        "`Idempotent-Replayed: true`); the same key with a different body is 422 "
        "`idempotency_key_reused`; while the first is still running, 409 "
        "`idempotency_key_in_flight`."
    ),
    pattern=r"^[\x20-\x7e]{1,255}$",
)


class AutoSchema(SpectacularAutoSchema):
    """Describes read-only fields as they really come out: DRF drops
    `allow_null` / `allow_blank` from read-only fields, so a field that reads a
    nullable column (or through a nullable relation) or a blank choice would be
    documented as never null / never empty, and clients that validate would
    reject real answers. Only read-only fields are touched: what is accepted
    in requests stays as declared."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and not field.allow_null:
            model_field, nullable = _model_field_at(field)
            if nullable:
                field.allow_null = True
            if (
                model_field is not None
                and getattr(model_field, "blank", False)
                and isinstance(field, serializers.CharField | serializers.ChoiceField)
            ):
                field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            isinstance(field, serializers.EmailField | serializers.URLField)
            and getattr(field, "allow_blank", False)
            and isinstance(schema, dict)
        ):
            # "" is a valid answer; the JSON Schema formats would refuse it.
            schema.pop("format", None)
        return schema

    def get_override_parameters(self):
        from erp.core.api.views import IdempotentMixin  # views import this module's users

        params = super().get_override_parameters()
        if self.method == "POST" and isinstance(self.view, IdempotentMixin):
            params = [*params, IDEMPOTENCY_KEY]
        return params

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # `default=None` on an output field (`source="order.number"`) is what
        # DRF answers when the relation is empty.
        if direction == "response" and getattr(field, "default", False) is None:
            meta["nullable"] = True
        return meta


class SingleObjectSchema(AutoSchema):
    """For views that answer one object although they look like a list to
    drf-spectacular's heuristics (no path key, `action = "list"`)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


# --- Post-processing: scopes, error responses and examples on every operation ---

_METHODS = ("get", "put", "post", "patch", "delete")
_TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
_JSON_LIKE = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
_GENERATED = "Generated from the schema; field values are placeholders."

_ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error format of every 4xx answer.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, for machines."},
                "message": {"type": "string", "description": "For people, in their language."},
                "fields": {
                    "type": "object",
                    "description": "Each offending input, by path, with its reasons.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

# Status -> (description, example code, example message, example fields).
_ERRORS = {
    "400": (
        "Invalid input; `fields` names each offending input.",
        "invalid",
        "Invalid input: lines[0].quantity: Ensure this value is greater than or equal to 1.",
        {"lines[0].quantity": ["Ensure this value is greater than or equal to 1."]},
    ),
    "401": (
        "No or an expired token / session.",
        "not_authenticated",
        "Authentication credentials were not provided.",
        {},
    ),
    "403": (
        "The token lacks the scope, or the user's role lacks the permission.",
        "permission_denied",
        "This client's token lacks the scope orders:write.",
        {},
    ),
    "404": ("No such record (or page).", "not_found", "Not found.", {}),
    "409": (
        "The record's state does not allow this (or it is in use / locked).",
        "transition_not_allowed",
        "This order cannot be confirmed in its current status.",
        {},
    ),
    "422": (
        "The Idempotency-Key was used before with a different request.",
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request.",
        {},
    ),
    "429": (
        "Too many requests; retry after `Retry-After` seconds.",
        "throttled",
        "Request was throttled.",
        {},
    ),
}


def _resolve(schema: dict, components: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema or {}


def _decimal_example(pattern: str) -> str:
    """A decimal that fits spectacular's `^-?\\d{0,N}(?:\\.\\d{0,M})?$`."""
    digits = re.findall(r"\\d\{0,(\d+)\}", pattern)
    whole = int(digits[0]) if digits else 4
    places = int(digits[1]) if len(digits) > 1 else 2
    value = "1" if whole else "0"
    return f"{value}.{'5' * min(places, 2)}" if places else value


def _string_example(name: str, schema: dict) -> str:
    fmt = schema.get("format", "")
    by_format = {
        "date-time": "2026-11-20T09:30:00+08:00",
        "date": "2026-11-20",
        "time": "09:30:00",
        "email": "buyer@example.com",
        "uri": "https://example.com/resource",
        "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "decimal": "12.50",
        "ipv4": "192.0.2.10",
        "binary": "",
    }
    pattern = schema.get("pattern", "")
    if pattern == _TIME_PATTERN:
        value = "09:00:00"
    elif fmt == "decimal" or "\\d{0," in pattern:
        value = _decimal_example(pattern)
    elif fmt in by_format:
        value = by_format[fmt]
    else:
        lowered = name.lower()
        if "phone" in lowered:
            value = "13800138000"
        elif lowered in ("sku", "product", "product_sku"):
            value = "TEA-0001"
        elif lowered in ("currency",):
            value = "CNY"
        elif lowered in ("channel",):
            value = "TMALL"
        elif lowered in ("warehouse", "warehouse_code"):
            value = "SH-01"
        elif "name" in lowered:
            value = "Example name"
        elif lowered == "code" or lowered.endswith("_code") or lowered.endswith("number"):
            value = "EX-0001"
        else:
            value = "text"
    max_length = schema.get("maxLength")
    if max_length is not None:
        value = value[:max_length]
    return value.ljust(schema.get("minLength", 0), "x")


def example_from_schema(schema: dict, components: dict, name: str = "", depth: int = 0):
    """A plausible value for `schema`: its own example or enum, else one built
    from the field's type, format and name (nested objects followed 4 deep)."""
    schema = _resolve(schema, components)
    if "example" in schema:
        return schema["example"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v not in (None, "")), schema["enum"][0])
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            return example_from_schema(schema[combinator][0], components, name, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {
            key: example_from_schema(sub, components, key, depth + 1)
            for key, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        if depth > 4:
            return []
        item = example_from_schema(schema.get("items", {}), components, name, depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.5, schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_example(name, schema)
    return None


def _add_examples(content: dict, components: dict, written=None) -> None:
    """Give each JSON-like body an example: the hand-written one (`written`,
    (summary, value)) where there is one, else one derived from its schema."""
    for media_type, body in content.items():
        if written is not None and media_type == "application/json":
            examples = {
                k: v for k, v in body.get("examples", {}).items() if v.get("summary") != _GENERATED
            }
            examples[written[0].replace(" ", "")[:40]] = {
                "value": written[1],
                "summary": written[0],
            }
            body["examples"] = examples
            continue
        if media_type not in _JSON_LIKE or body.get("examples") or "example" in body:
            continue
        if "schema" not in body:
            continue
        body["examples"] = {
            "Example": {
                "value": example_from_schema(body["schema"], components),
                "summary": _GENERATED,
            }
        }


def _scope_text(operation: dict) -> str:
    security = operation.get("security", [])
    scopes = [s for req in security for s in req.get("oauth2", [])]
    if scopes:
        staff = any("cookieAuth" in req for req in security)
        return (
            "**Scope:** "
            + ", ".join(f"`{s}`" for s in scopes)
            + (" (or a staff session whose role holds the matching permission)." if staff else ".")
        )
    others = sorted({name for req in security for name in req})
    if others:
        return "**Scope:** none - authenticated by " + " or ".join(f"`{n}`" for n in others) + "."
    return "**Scope:** none - public; the token in the URL is the credential."


def _plain_times(node) -> None:
    """`format: time` means RFC 3339 full-time (with an offset) to validators;
    our times are wall-clock "HH:MM[:SS[.ffffff]]", so say that instead."""
    if isinstance(node, dict):
        if node.get("format") == "time":
            node.pop("format")
            node["pattern"] = _TIME_PATTERN
        for value in node.values():
            _plain_times(value)
    elif isinstance(node, list):
        for value in node:
            _plain_times(value)


def postprocess_schema(result, generator, request, public):
    """Make every operation self-describing: its scope in the description,
    the house error responses, and a request and response example (derived
    from the schema wherever a view gives no hand-written one)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", _ERROR_SCHEMA)
    _plain_times(result)
    for path, item in result.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            scope = _scope_text(operation)
            description = operation.get("description", "")
            if "**Scope:**" not in description:
                operation["description"] = f"{description}\n\n{scope}".strip()
            if operation.get("requestBody"):
                _add_examples(operation["requestBody"].get("content", {}), components)
            responses = operation.setdefault("responses", {})
            written = RESPONSE_EXAMPLES.get((method, path), {})
            for status_code, response in responses.items():
                if status_code.startswith("2"):
                    _add_examples(response.get("content", {}), components, written.get(status_code))
            wanted = ["401", "403", "429"]
            if operation.get("requestBody") or operation.get("parameters"):
                wanted.insert(0, "400")
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "page" in parameters:  # a page past the end is 404 too
                wanted.append("404")
            if method != "get":
                wanted.append("409")
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                wanted.append("422")
            if not operation.get("security") or all(not req for req in operation["security"]):
                wanted = [c for c in wanted if c not in ("401", "403")]
            for status_code in wanted:
                if status_code in responses:
                    continue
                text, code, message, fields = _ERRORS[status_code]
                responses[status_code] = {
                    "description": text,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"},
                            "examples": {
                                code: {
                                    "value": {
                                        "error": {
                                            "code": code,
                                            "message": message,
                                            "fields": fields,
                                        }
                                    }
                                }
                            },
                        }
                    },
                }
    return result
