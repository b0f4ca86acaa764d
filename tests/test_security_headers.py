"""Security headers: strict CSP and friends on every HTML page, HSTS only over HTTPS, and the
snippet's ingest API and static files left with their own rules."""

from pathlib import Path

import pytest

from service import asset_dir
from tests.conftest import ORIGIN, login, post_report

# Our own pages, each answered itself (no redirect): what anyone may open, then an admin's.
# /demo stands for a publisher's page (its own inline styles, strict scripts).
PUBLIC_PAGES = [("/login", 200), ("/reset", 200), ("/no-such-page", 404),
                ("/unsubscribe/not-a-token", 400)]
ADMIN_PAGES = [("/queue", 200), ("/queue/999999", 404), ("/sites", 200), ("/sites/new", 200),
               ("/people", 200), ("/outbox", 200), ("/account/settings", 200),
               ("/stats", 200)]


@pytest.fixture
def site(factory):
    return factory.site()


def csp_directives(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


@pytest.fixture
def admin_client(client, factory):
    factory.editor("admin@news.example", role="admin")
    assert login(client, "admin@news.example").status_code == 302
    return client


@pytest.mark.parametrize(("path", "status"), PUBLIC_PAGES + ADMIN_PAGES)
def test_html_pages_carry_a_strict_policy(request, client, path, status):
    if (path, status) in ADMIN_PAGES:
        client = request.getfixturevalue("admin_client")
    resp = client.get(path)
    assert resp.status_code == status
    assert resp.mimetype == "text/html"
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script, no other origin
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]
    assert "http" not in resp.headers["Content-Security-Policy"]  # no third-party origins
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("same-origin", "no-referrer",
                                               "strict-origin-when-cross-origin")
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_hsts_only_over_https(client, path):
    assert "Strict-Transport-Security" not in client.get(path).headers
    secure = client.get(path, base_url="https://errata.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(secure.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15552000


@pytest.mark.parametrize("app_config", [{"ERRATA_PROXY_HOPS": 1}])
def test_hsts_behind_a_tls_terminating_proxy(client):
    resp = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in resp.headers


def test_ingest_keeps_its_cors_rules_and_no_page_policy(client, site):
    resp = post_report(client, site.key)
    assert resp.status_code == 201
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Content-Security-Policy" not in resp.headers
    assert "X-Frame-Options" not in resp.headers
    preflight = client.options("/api/v1/reports", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


STATIC = Path(asset_dir("static"))


@pytest.mark.parametrize("rel", sorted(p.relative_to(STATIC).as_posix()
                                       for p in STATIC.rglob("*") if p.is_file()))
def test_static_files_are_not_given_the_page_policy(client, rel):
    resp = client.get(f"/static/{rel}", headers={"Origin": ORIGIN})
    assert resp.status_code == 200
    assert "Content-Security-Policy" not in resp.headers
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    if rel.startswith("js/"):
        # The reader snippet: any site may load it, with SRI (CORS) and under COEP (CORP).
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert resp.cache_control.public and resp.cache_control.max_age == 3600
    else:
        # The editors' own assets are for Errata's pages only.
        assert "Access-Control-Allow-Origin" not in resp.headers
        assert "Cross-Origin-Resource-Policy" not in resp.headers
    resp.close()


def test_both_snippet_files_are_checked():
    assert {"js/errata.js", "js/errata-dialog.js"} <= {
        p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js")}


def test_the_demo_page_keeps_scripts_strict(client):
    csp = csp_directives(client.get("/demo").headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"


def test_health_check_is_plain_json(client):
    resp = client.get("/healthz")
    assert resp.mimetype == "application/json"
    assert "Content-Security-Policy" not in resp.headers
