"""Schemathesis over the whole API, in-process (WSGI), against a seeded
database, as an integration holding every scope.

Every operation gets generated requests (positive: valid by the schema) from
its examples and from Hypothesis, once with random path keys and once with the
key of a real seeded record, so actions reach real orders, shipments and
tickets. Checks: no 5xx, every response body of a documented status matches
the schema, documented status codes and content types. Then requests that
break the schema (negative mode): no 5xx, errors in the house format.
Failures are collected over the whole run and reported together, each 5xx
with the exception and the line that raised it.

A transactional test (real commits): requests go through Django's own WSGI
handler, which closes the connection after each request and runs on-commit
hooks (Celery tasks run eagerly in tests), as in production.

Longer local runs: API_FUZZ_EXAMPLES=25 (cases per operation and mode).
"""

import contextlib
import io
import os
import sys
import traceback

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import got_request_exception
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import generated_schema

pytestmark = pytest.mark.django_db(transaction=True)

# Bounded so the suite stays fast and repeatable: a fixed number of examples
# per operation and derandomised generation (the same cases every run).
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
NEGATIVE = os.environ.get("API_FUZZ_NEGATIVE", "1") == "1"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Requests that break the schema (wrong types, missing fields, bad enums):
# they must be refused with a 4xx in the house error format, never a 5xx.
# Not checked there: `status_code_conformance` (a broken path key may give 404
# where the schema documents none for that operation - an honest answer) and
# `negative_data_rejection` (the API accepts some inputs the schema is
# stricter about, e.g. numbers sent as strings, which DRF coerces).
NEGATIVE_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _collection_of(path: str) -> tuple[str, str] | None:
    """For /api/v1/orders/{number}/confirm/ -> ("/api/v1/orders/", "number")."""
    head, sep, rest = path.partition("{")
    if not sep:
        return None
    return head, rest.partition("}")[0]


def _real_keys(client, paths: list[str]) -> dict[str, str]:
    """The key of the first record of each collection, read through the API."""
    keys = {}
    for path in paths:
        found = _collection_of(path)
        if found is None or found[0] in keys:
            continue
        collection, name = found
        response = client.get(collection)
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and name in rows[0]:
            keys[collection] = str(rows[0][name])
    return keys


def case_repr(case) -> str:
    body = "" if case.body is NOT_SET else f" body={str(case.body)[:300]}"
    return f"path={case.path_parameters} query={case.query}{body}"


def _summary(label: str, response, failure) -> str:
    """One line per distinct failure: operation, status, check and where."""
    lines = [line.strip() for line in failure.message.splitlines() if line.strip()]
    where = next((line for line in lines if line.startswith("Schema at")), "")
    return f"{label} -> {response.status_code} {failure.title}: {lines[0] if lines else ''} {where}"


errors: list[str] = []


def _record_exception(sender, request=None, **kwargs):
    kind, exc, tb = sys.exc_info()
    frame = traceback.extract_tb(tb)[-1] if tb else None
    where = f" at {frame.filename.rsplit('/work/main/', 1)[-1]}:{frame.lineno}" if frame else ""
    errors.append(f"{kind.__name__}: {str(exc)[:200]}{where}")


def _run_operation(operation, *, headers, path_parameters, failures, mode=GenerationMode.POSITIVE):
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)
    checks = CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        # Requests hit a real database: slow examples are expected.
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case):
        cache.clear()  # throttle counters: the fuzzer outpaces 1200 calls a minute
        errors.clear()
        response = case.call(headers=headers)
        if errors:  # a 500: name the exception, not only the status
            failures.setdefault(f"{operation.label} -> 500 raised {errors[-1]}", case_repr(case))
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as exc:  # collected, reported together at the end
            for failure in exc.exceptions:
                failures.setdefault(_summary(operation.label, response, failure), case_repr(case))

    # Negative mode: some operations have nothing that can be made invalid.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


def test_no_server_errors_and_responses_match_the_schema(integration):
    call_command("seed_demo", customers=12, products=15, orders=15, stdout=io.StringIO())
    client = integration(" ".join(settings.OAUTH2_PROVIDER["SCOPES"]))
    headers = {"Authorization": f"Bearer {client.credentials_token}"}
    schema = schemathesis.openapi.from_dict(generated_schema())
    schema.app = WSGIHandler()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150
    keys = _real_keys(client, [op.path for op in operations])

    failures: dict[str, str] = {}
    got_request_exception.connect(_record_exception)
    try:
        _run_all(operations, keys, headers, failures)
    finally:
        got_request_exception.disconnect(_record_exception)
    report = "\n".join(
        f"{summary}\n    e.g. {example}" for summary, example in sorted(failures.items())
    )
    assert not failures, f"{len(failures)} distinct failures:\n{report}"


def _run_all(operations, keys, headers, failures):
    for operation in operations:
        _run_operation(operation, headers=headers, path_parameters=None, failures=failures)
        if NEGATIVE:
            _run_operation(
                operation,
                headers=headers,
                path_parameters=None,
                failures=failures,
                mode=GenerationMode.NEGATIVE,
            )
        found = _collection_of(operation.path)
        if found and found[0] in keys:
            _run_operation(
                operation,
                headers=headers,
                path_parameters={found[1]: keys[found[0]]},
                failures=failures,
            )
