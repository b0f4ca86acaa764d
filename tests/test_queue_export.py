"""The queue's CSV export and the per-article list, through the test client."""

from __future__ import annotations

import csv
import io

import pytest

from service.queue.export import neutral
from tests.conftest import ORIGIN, post_report
from tests.test_queue_views import (
    _app_for_helpers,  # noqa: F401 - autouse fixture
    cid,
    post,
    signed_in,
)


def rows_of(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


@pytest.fixture
def sites(factory, client):
    a = factory.site("Alpha")
    b = factory.site("Beta", origins=("https://beta.example",))
    factory.editor("a@news.example", sites=[a])
    factory.editor("admin@news.example", role="admin")
    for n, (exact, suggestion) in enumerate([("=HYPERLINK(\"http://x\")", "+1"),
                                             ("@SUM(A1)", "-2"), ("plain", "fine")]):
        assert post_report(client, a.key, exact=exact, suggestion=suggestion,
                           prefix=f"p{n} ", suffix=f" s{n}", kind="fact" if n else "typo",
                           url=f"{ORIGIN}/a/{n % 2}").status_code == 201
    assert post_report(client, b.key, origin="https://beta.example",
                       url="https://beta.example/x", exact="secret of beta").status_code == 201
    return a, b


def test_csv_has_only_my_sites_and_neutralises_formulas(client, sites):
    editor = signed_in(client, "a@news.example")
    table = rows_of(editor.get("/queue.csv"))
    assert table[0][:4] == ["id", "site", "status", "kind"]
    quotes = {r[6] for r in table[1:]}
    assert quotes == {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "plain"}
    assert {r[7] for r in table[1:]} == {"'+1", "'-2", "fine"}
    assert "secret of beta" not in editor.get("/queue.csv").get_data(as_text=True)
    # Asking for the other site by number gives an empty sheet, not its rows.
    assert len(rows_of(editor.get(f"/queue.csv?site={sites[1].id}"))) == 1


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"), ("+7 495", "'+7 495"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("a=1", "a=1"), ("", ""), (None, ""), (12, "12"),
])
def test_every_formula_start_is_neutralised(cell, written):
    assert neutral(cell) == written


def test_csv_applies_the_queue_filters(client, sites):
    admin = signed_in(client, "admin@news.example")
    assert len(rows_of(admin.get("/queue.csv"))) == 5
    table = rows_of(admin.get(f"/queue.csv?site={sites[0].id}&kind=fact"))
    assert [r[6] for r in table[1:]] == ["plain", "'@SUM(A1)"]  # newest first, like /queue
    assert [r[6] for r in rows_of(admin.get("/queue.csv?q=plain"))[1:]] == ["plain"]
    fixed = cid(sites[1].id)
    post(admin, f"/queue/{fixed}/status", {"action": "fixed"}, page=f"/queue/{fixed}")
    assert len(rows_of(admin.get("/queue.csv"))) == 4  # "open" by default, as /queue
    table = rows_of(admin.get("/queue.csv?status=fixed&sort=oldest&after=1_1"))
    assert [r[0] for r in table[1:]] == [str(fixed)]  # a page cursor doesn't cut the export
    assert admin.get("/queue.csv?status=nonsense").status_code == 400


def test_csv_needs_login(client, sites):
    resp = client.get("/queue.csv")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_every_correction_of_the_article_whatever_its_status(client, sites):
    admin = signed_in(client, "admin@news.example")
    html = admin.get("/queue").get_data(as_text=True)
    assert "/queue.csv" in html
    ids = sorted(int(r[0]) for r in rows_of(admin.get(f"/queue.csv?site={sites[0].id}"))[1:])
    # Reports 0 and 2 went to /a/0, report 1 to /a/1.
    first, second, third = ids
    post(admin, f"/queue/{third}/status", {"action": "rejected"}, page=f"/queue/{third}")
    page = admin.get(f"/queue/{first}").get_data(as_text=True)
    assert f"/queue/{first}/article" in page
    listing = admin.get(f"/queue/{first}/article").get_data(as_text=True)
    assert f'href="/queue/{first}"' in listing and f'href="/queue/{third}"' in listing
    assert f'href="/queue/{second}"' not in listing
    assert "Not an error" in listing


def test_article_list_of_another_site_is_not_found(client, sites):
    editor = signed_in(client, "a@news.example")
    assert editor.get(f"/queue/{cid(sites[1].id)}/article").status_code == 404
