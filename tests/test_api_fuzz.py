"""Fuzzing the ingest API from its own OpenAPI description (schemathesis on hypothesis).

Whatever schemathesis makes of the schema, valid or not, the answer is never a 5xx, and
every answer is one the description lists. Runs against the real app on the real database.
"""

from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import ORIGIN


@pytest.fixture
def api_schema(app, factory):
    site = factory.site(origins=(ORIGIN, "http://localhost"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Steer a share of the generated bodies at a real site, so they get past the site check.
    schema.site_key = site.key  # type: ignore[attr-defined]
    return schema


def test_openapi_document_describes_the_ingest_api(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    post = doc["paths"]["/api/v1/reports"]["post"]
    assert set(post["requestBody"]["content"]) == {"text/plain", "application/json"}
    assert {"201", "200", "202", "400", "403", "404", "413", "415", "429", "503"} <= set(
        post["responses"])
    report = doc["components"]["schemas"]["Report"]
    assert report["required"] == ["site", "url", "exact"]
    assert report["properties"]["exact"]["maxLength"] == 500


OPERATIONS = ["POST /api/v1/reports", "OPTIONS /api/v1/reports", "GET /healthz",
              "GET /api/v1/openapi.json"]


def test_every_operation_is_fuzzed(api_schema):
    paths = api_schema.raw_schema["paths"]
    found = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("name", OPERATIONS)
def test_no_server_errors(api_schema, name):
    # Driven by hand rather than with schemathesis' pytest plugin (which trips over this
    # pytest's internals): the operation's strategy, run through hypothesis here.
    method, path = name.split(" ")
    operation = api_schema[path][method]
    documented = operation.definition.raw["responses"]

    @given(case=operation.as_strategy())
    @settings(max_examples=150 if method == "POST" else 10, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        if method == "POST" and isinstance(case.body, dict):
            case.headers = {**(case.headers or {}), "Origin": ORIGIN}
            if len(repr(case.body)) % 4:  # three in four: a real site, a page on its origin
                case.body["site"] = api_schema.site_key
                if isinstance(case.body.get("url"), str):
                    case.body["url"] = f"{ORIGIN}/{quote(case.body['url'])}"
        response = case.call()
        assert response.status_code < 500, (case.body, response.text)
        assert str(response.status_code) in documented, (response.status_code, case.body)

    run()
