"""Contract test: schemathesis generates requests from /api/v1/openapi.json for every operation and sends
them to the app in-process (WSGI). No answer may be a 5xx, and every answer must match the document
(status code, content type, body schema). Bounded: a few examples per operation, derandomized."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_builders import token_for, world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


@pytest.mark.slow
def test_every_operation_keeps_to_its_openapi_document(app, db):
    w = world()
    callers = {"firm": token_for(w.firm_user), "provider": token_for(w.provider_user), "anonymous": {}}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        for headers in (callers["firm"] if operation.method.upper() != "GET" else callers["anonymous"],
                        callers["provider"]):
            _check(operation, headers)


def _check(operation, headers):
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()
