"""Fuzzing the ingest API from its own OpenAPI description (schemathesis on hypothesis).

Whatever schemathesis makes of the schema, valid or not, the answer is never a 5xx, and
every answer is one the description lists. Runs against the real app on the real database.
"""

from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import given, settings

from service.api.tokens import create_token
from service.extensions import db
from service.models import Site
from tests.article_server import Served
from tests.conftest import ORIGIN, post_report


@pytest.fixture
def app_config():
    # The token API's per-token limit would answer most generated requests 429.
    return {"ERRATA_API_LIMIT": "100000/minute"}


@pytest.fixture
def newsroom(newsroom):
    newsroom.pages["/article"] = Served(b"<p>The mayor said teh budget was balanced.</p>")
    return newsroom


@pytest.fixture
def api_schema(app, client, factory, newsroom):
    site = factory.site(origins=(ORIGIN, "http://localhost", newsroom.origin))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Steer a share of the generated bodies at a real site, so they get past the site check.
    schema.site_key = site.key  # type: ignore[attr-defined]
    # ... and a share of the token API's calls at a real token and a real correction, whose
    # page (for the check) is served locally.
    resp = post_report(client, site.key, origin=newsroom.origin, url=newsroom.url("/article"),
                       exact="teh", prefix="The mayor said ", suffix=" budget was")
    schema.correction_id = resp.get_json()["correction"]  # type: ignore[attr-defined]
    with app.app_context():
        _, schema.token = create_token(db.session, db.session.get(Site, site.id), "fuzz")  # type: ignore[attr-defined]
        db.session.commit()
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
    assert report["required"] == ["site", "url", "exact", "elapsed_ms"]
    assert report["properties"]["exact"]["maxLength"] == 500


OPERATIONS = ["POST /api/v1/reports", "OPTIONS /api/v1/reports", "GET /healthz",
              "GET /api/v1/openapi.json", "GET /api/v1/corrections",
              "GET /api/v1/corrections/{correction_id}",
              "POST /api/v1/corrections/{correction_id}/status",
              "POST /api/v1/corrections/{correction_id}/check"]
# The page check waits for a real fetch; a few examples are enough there.
EXAMPLES = {"POST /api/v1/reports": 150, "POST /api/v1/corrections/{correction_id}/status": 100,
            "GET /api/v1/corrections": 100, "POST /api/v1/corrections/{correction_id}/check": 5}


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
    @settings(max_examples=EXAMPLES.get(name, 10))
    def run(case):
        if "/corrections" in path:
            seed = len(repr(case.path_parameters)) + len(repr(case.query)) + len(repr(case.body))
            if seed % 4:  # three in four: a real token
                case.headers = {**(case.headers or {}),
                                "Authorization": f"Bearer {api_schema.token}"}
            if case.path_parameters and seed % 3:  # two in three: a real correction
                case.path_parameters["correction_id"] = api_schema.correction_id
        elif method == "POST" and isinstance(case.body, dict):
            case.headers = {**(case.headers or {}), "Origin": ORIGIN}
            if len(repr(case.body)) % 4:  # three in four: a real site, a page on its origin
                case.body["site"] = api_schema.site_key
                if isinstance(case.body.get("url"), str):
                    case.body["url"] = f"{ORIGIN}/{quote(case.body['url'])}"
        response = case.call()
        assert response.status_code < 500, (case.body, response.text)
        assert str(response.status_code) in documented, (response.status_code, case.body)

    run()
