"""Schemathesis against the JSON API's own OpenAPI document: whatever a client sends,
no 5xx, and every answer matches the schema."""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.support import bearer_headers
from tests.fuzzing import full_size, fuzz_examples


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_api_never_fails_with_5xx_and_matches_its_schema(api_app, record_property):
    # Driven through hypothesis directly: schemathesis' pytest plugin does not load on
    # this pytest version.
    tried, answers = 0, Counter()
    # Authenticated, or every request would stop at the 401 before reaching an action.
    headers = bearer_headers()
    for operation in _operations(api_app):
        @given(case=operation.as_strategy())
        @settings(max_examples=fuzz_examples(40), deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case):
            nonlocal tried
            tried += 1
            response = case.call(headers=headers)
            answers[response.status_code] += 1
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            # Schema-valid input may still be refused on meaning (an unknown model id, a
            # task that does not exist): so no "positive data accepted" check.
            case.validate_response(response, checks=CHECKS)

        check()
    print(f"schemathesis: {tried} generated requests across the API")
    # Read by `make bench` (tests/bench/fuzz.py).
    record_property("examples", tried)
    record_property("outcomes", {str(code): count for code, count in sorted(answers.items())})
    if full_size():
        assert tried > 100
