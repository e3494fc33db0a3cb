"""The admin JSON API (in-process ASGI client) and the dashboard's auth rules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from seedstack.config import load_settings
from seedstack.http.admin import create_admin_app
from seedstack.http.ui import create_ui_app

from .ui_helpers import ADMIN_KEY, USER_KEY, add_key

REVOKED = "sk-test-revoked-admin"


@pytest.fixture
def api(ui_store):
    add_key(ui_store, REVOKED, "admin", revoked=True)
    ctx = SimpleNamespace(settings=load_settings(), store=ui_store)
    return TestClient(create_admin_app(ctx)), TestClient(create_ui_app(ctx))


def _h(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


@pytest.mark.parametrize("key", [None, USER_KEY, REVOKED, "sk-unknown"])
def test_only_an_active_admin_key_opens_the_dashboard_and_the_api_checks_the_role(api, key):
    client, ui = api
    resp = client.get("/api/slo", headers=_h(key) if key else {})
    if key == USER_KEY:  # an active key whose role ('user' is unknown) holds no permission
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
    else:
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"
    page = ui.get("/ui/slo", headers=_h(key) if key else {}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login?next=")


def test_endpoints_answer_with_the_same_facts_as_the_cli(api):
    client, _ = api
    h = _h(ADMIN_KEY)
    hits = client.get("/api/requests", params={"q": "refund was denied", "customer": "acme"}, headers=h).json()
    assert hits[0]["request_id"] == "req_ui_complaint"
    rows = client.get("/api/requests", params={"status": "error", "limit": 5}, headers=h).json()
    assert 0 < len(rows) <= 5 and all(r["status_code"] >= 400 for r in rows)
    story = client.get("/api/requests/req_ui_complaint", headers=h).json()
    assert story["template"]["variables"] == {"order": "A55555"}
    assert {s["name"] for s in client.get("/api/slo", headers=h).json()} == {"chat-p99-latency", "chat-error-rate"}
    assert client.get("/api/overview", params={"hours": 48}, headers=h).json()["requests"] > 0
    assert isinstance(client.get("/api/drift", headers=h).json(), list)


def test_bad_input_is_a_4xx_that_says_what_to_fix(api):
    client, ui = api
    h = _h(ADMIN_KEY)
    resp = client.get("/api/requests", params={"since": "yesterday"}, headers=h)
    assert resp.status_code == 400 and "30m, 36h, 2d" in resp.json()["error"]["message"]
    resp = client.get("/api/requests", params={"min_latency": "fast"}, headers=h)
    assert resp.status_code == 400 and "min_latency" in resp.json()["error"]["message"]
    assert client.get("/api/requests/req_nope", headers=h).status_code == 404
    assert client.get("/api/nothing-here", headers=h).status_code == 404
    assert ui.get("/ui/requests/req_nope", headers=h).status_code == 404
    page = ui.get("/ui/requests", params={"since": "soon"}, headers=h)
    assert page.status_code == 200 and "30m, 36h, 2d" in page.text


def test_login_sets_a_strict_httponly_cookie_and_never_redirects_off_site(api):
    _, ui = api
    resp = ui.post(
        "/ui/login",
        content=f"key={ADMIN_KEY}&next=https%3A%2F%2Fevil.example%2F",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
    assert ui.get("/ui/").status_code == 200  # the cookie is enough from now on
    ui.post("/ui/logout")
    assert ui.get("/ui/", follow_redirects=False).status_code == 303
