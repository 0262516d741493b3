"""Schemathesis against /api/openapi.json on the real app (WSGI, seed index): generated requests, valid and
not, never get a 500, and every answer matches the document (status code, content type, headers, body schema)."""

from __future__ import annotations

import re

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

from web import create_app
from web.openapi import openapi_document

CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def api_schema(seed_index):
    """The app's own OpenAPI document, loaded over WSGI from the real app."""
    app = create_app({"TESTING": True, "INDEX_DIR": str(seed_index)})
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    loaded.config.generation.update(modes=list(schemathesis.GenerationMode))  # valid and invalid requests
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_every_answer_matches_the_openapi_document(case):
    try:
        case.call_and_validate(checks=CHECKS)
    except FailureGroup as group:
        if not (all(isinstance(f, AcceptedNegativeData) for f in group.exceptions) and _sent_as_valid(case)):
            raise


def _sent_as_valid(case) -> bool:
    """Whether every query value of a case, as the service reads it, is valid for its parameter.

    Schemathesis counts a number given to a string parameter (source=8.4e-45) as negative data, but a
    query string holds only strings, so the service rightly accepts it (schemathesis #3129); and a
    single-valued parameter given twice is read by its last value (search.query.request._one), as a form's is;
    a null is an empty field, which allowEmptyValue admits."""
    if case.path_parameters or case.body is not None or case.operation.path != "/api/search" or not case.query:
        return False
    parameters = {p["name"]: p for p in openapi_document()["paths"]["/api/search"]["get"]["parameters"]}
    for name, value in case.query.items():
        if name not in parameters:
            return False
        schema = parameters[name]["schema"]
        # a null is sent as an empty value, or not at all (schemathesis's curl shows `date_from=`)
        values = [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]
        sent = values if schema.get("type") == "array" else values[-1] if values else ""
        if not (sent == "" and parameters[name].get("allowEmptyValue")) and not _valid(schema, sent):
            return False
    return True


# Values the service accepts on purpose (the HTML form sends empty fields; whitespace is trimmed); the document
# must say so too, or a client built from it and schemathesis's negative tests disagree with the service.
EDGE_VALUES = [
    ("date_to", ""),
    ("date_from", ""),
    ("date_from", " 2024-05-16 "),
    ("sort", ""),
    ("mode", ""),
    ("exact", ""),
    ("exact", "true"),
    ("page", ""),
    ("per_page", " 5 "),
    ("page", "٥"),
    ("q", " " * 1001 + "بكين"),
    ("source", ["الشرق"] * 21),
]


def _valid(schema: dict, value) -> bool:
    """Whether a raw query value is valid for a parameter schema (integers as their decimal spelling)."""
    if schema.get("type") == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return False
        value = int(value)
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return False
    return True


def test_the_document_admits_every_value_the_api_accepts(seed_index):
    client = create_app({"TESTING": True, "INDEX_DIR": str(seed_index)}).test_client()
    document = client.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p for p in document["paths"]["/api/search"]["get"]["parameters"]}
    disagreements = []
    for name, value in EDGE_VALUES:
        status = client.get("/api/search", query_string={name: value}).status_code
        empty_allowed = value == "" and parameters[name].get("allowEmptyValue", False)
        documented = empty_allowed or _valid(parameters[name]["schema"], value)
        if (status == 200) != documented:
            verdict = "valid" if documented else "invalid"
            disagreements.append(f"{name}={value!r:.40}: API answers {status}, document says {verdict}")
    assert [] == disagreements, "\n".join(disagreements)
