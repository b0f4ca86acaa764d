"""Every route of the app, fuzzed with hypothesis, anonymous and logged in: never a 5xx.

The routes are read from the app's URL map, so a new page is fuzzed without anyone adding it
here. Path arguments, query strings and form fields are hypothesis' choosing; forms are sent
with a valid CSRF token, so the fuzz reaches the code behind the token check.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token, login

ROLES = ("anonymous", "editor", "admin")
# Logging out would turn the rest of a logged-in run anonymous (it takes no input anyway).
SKIP_ENDPOINTS = {"static", "accounts.logout"}
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUE = st.one_of(TEXT, st.integers(-5, 10**12).map(str), st.sampled_from(
    ["", "0", "1", "-1", "new", "fixed", "spam", "in_progress", "rejected", "true", "on",
     "../../etc/passwd", "//evil.example", "<script>alert(1)</script>", "9" * 40]))
FIELDS = st.sampled_from(
    ["status", "note", "assignee", "ids", "hours", "kind", "q", "site", "sort", "after",
     "email", "password", "new_password", "name", "origins", "notify_emails", "role", "sites",
     "limit_reader", "limit_site", "default_lang", "active", "next", "page", "mode",
     "digest_hour", "display_name", "report", "value", "reason"])
PARAMS = st.dictionaries(FIELDS, VALUE, max_size=5)
IDS = st.one_of(st.integers(0, 3), st.integers(0, 2**63))


def routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(out)


@pytest.fixture
def world(app, factory, client):
    """A site with a correction, an editor of it and an admin."""
    from tests.conftest import post_report

    site = factory.site()
    assert post_report(client, site.key).status_code == 201
    factory.editor("editor@news.example", sites=[site])
    factory.editor("admin@news.example", role="admin")
    return site


def client_as(app, role):
    c = app.test_client()
    if role != "anonymous":
        resp = login(c, f"{role}@news.example")
        assert resp.status_code in (302, 303), resp.status_code
    return c


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx(app, world, role):
    c = client_as(app, role)
    token = csrf_token(c.get("/login").get_data(as_text=True)) if role == "anonymous" else None
    table = routes(app)
    assert table, "no routes found"

    @given(index=st.integers(0, len(table) - 1), ids=st.lists(IDS, min_size=3, max_size=3),
           params=PARAMS, with_token=st.booleans())
    @settings(max_examples=200)
    def run(index, ids, params, with_token):
        rule, method, args = table[index]
        path = rule
        for name, value in zip(args, ids, strict=False):
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        if method == "GET":
            resp = c.get(path, query_string=params)
        else:
            data = dict(params)
            if with_token:
                data["csrf_token"] = token or _page_token(c)
            resp = c.open(path, method=method, data=data)
        assert resp.status_code < 500, (role, method, path, params, resp.status_code)
        resp.close()

    run()


def _page_token(c) -> str:
    # Any page with a form carries the session's token; the queue does for a logged-in user.
    for page in ("/account/settings", "/queue", "/login"):
        resp = c.get(page)
        if resp.status_code == 200 and b"csrf_token" in resp.data:
            return csrf_token(resp.get_data(as_text=True))
    raise AssertionError("no page with a CSRF token")


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_ids_beyond_the_columns_range_are_404(app, world, role):
    # Found by the fuzz above on PostgreSQL, whose integer ids stop at 2**31 - 1.
    c = client_as(app, role)
    for rule, method, args in routes(app):
        if method != "GET" or "<int:" not in rule:
            continue
        path = rule
        for name in args:
            path = path.replace(f"<int:{name}>", str(2**31))
        assert c.get(path).status_code == 404, path
