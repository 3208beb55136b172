"""Contract test: schemathesis generates requests from /api/v1/openapi.json for every operation and sends
them to the app in-process (WSGI). No answer may be a 5xx, and every answer must match the document
(status code, content type, body schema). Valid requests use real ids (so they reach the services);
invalid ones (wrong types, unknown fields, bad values) must be refused with a documented 4xx.
Bounded: a few derandomized examples per operation and mode (about a minute)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_builders import token_for, world
from tests.conftest import make_application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}


@pytest.mark.slow
def test_every_operation_keeps_to_its_openapi_document(app, db):
    w = world()
    application = make_application(w.pool, w.provider)
    db.session.commit()
    real_ids = {"demand_id": w.open_demand.id, "bid_id": w.bid.id, "offering_id": w.offering.id, "pool_id": w.pool.id,
                "application_id": application.id, "kind": "city"}
    callers = [token_for(w.firm_user), token_for(w.provider_user), token_for(w.bureau_user), {}]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    for operation in operations:
        ids = {name: value for name, value in real_ids.items() if "{" + name + "}" in operation.path}
        for mode, examples in EXAMPLES.items():
            positive = mode == GenerationMode.POSITIVE
            strategy = operation.as_strategy(mode, path_parameters=ids if positive else None)
            try:
                # valid requests from every kind of caller; invalid ones from a firm (its token may write)
                _check(strategy, callers if positive else callers[:1], examples)
            except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters, no body)
                assert not positive


def _check(strategy, callers, examples):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        for headers in callers:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

    run()
