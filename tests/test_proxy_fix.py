"""The reader's IP comes from X-Forwarded-For only behind the configured number of proxies.

Otherwise anyone could dodge the per-reader limit, or frame another reader, by sending a
made-up header.
"""

import json

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Report
from tests.conftest import ORIGIN, report_body


@pytest.fixture
def site(factory):
    return factory.site()


def hash_of(app, ip):
    from service.privacy import ip_hash

    with app.test_request_context():
        return ip_hash(ip)


def stored_hashes(app):
    with app.app_context():
        return db.session.scalars(select(Report.ip_hash).order_by(Report.id)).all()


def send(client, site_key, forwarded_for, n):
    """``n`` reports of distinct spots from peer 10.0.0.1 claiming ``forwarded_for``."""
    codes = []
    for i in range(n):
        body = report_body(site_key, exact=f"word{i}x", prefix=f"at {forwarded_for} {i} ")
        codes.append(client.post(
            "/api/v1/reports", data=json.dumps(body),
            headers={"Content-Type": "text/plain", "Origin": ORIGIN,
                     "X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code)
    return codes


@pytest.mark.parametrize("app_config", [{"ERRATA_PROXY_HOPS": 0,
                                         "ERRATA_LIMIT_READER": "2/minute"}])
def test_forwarded_for_is_ignored_without_proxy_hops(client, app, site):
    # Each request claims another address; all count as the one real peer.
    assert send(client, site.key, "203.0.113.1", 1) == [201]
    assert send(client, site.key, "203.0.113.2", 1) == [201]
    assert send(client, site.key, "203.0.113.3", 1) == [429]
    assert stored_hashes(app) == [hash_of(app, "10.0.0.1")] * 2


@pytest.mark.parametrize("app_config", [{"ERRATA_PROXY_HOPS": 1,
                                         "ERRATA_LIMIT_READER": "2/minute"}])
def test_forwarded_for_is_honoured_with_one_hop(client, app, site):
    assert send(client, site.key, "203.0.113.1", 3) == [201, 201, 429]
    assert send(client, site.key, "203.0.113.2", 1) == [201]
    assert stored_hashes(app) == [hash_of(app, "203.0.113.1")] * 2 + [hash_of(app, "203.0.113.2")]


@pytest.mark.parametrize("app_config", [{"ERRATA_PROXY_HOPS": 1}])
def test_only_the_address_the_proxy_saw_counts(client, app, site):
    # A reader who sends their own X-Forwarded-For gets it prefixed by the proxy's entry:
    # with one hop, only the last address (the one our proxy appended) is believed.
    assert send(client, site.key, "1.2.3.4, 198.51.100.20", 1) == [201]
    assert stored_hashes(app) == [hash_of(app, "198.51.100.20")]
