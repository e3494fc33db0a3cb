"""The dashboard and admin API mounted in the real gateway, over a real socket: a chat request's
``x-request-id`` leads straight to its story."""

from __future__ import annotations

import httpx
import pytest

from seedstack.config import load_settings
from seedstack.explain.wiring import observability_sinks
from seedstack.gateway.keys import create_key
from seedstack.http.admin import create_admin_app
from seedstack.http.app import create_app
from seedstack.http.ui import create_ui_app
from seedstack.store import open_store
from tests.servers import serve_in_thread

pytestmark = pytest.mark.socket


def test_a_request_through_the_gateway_is_explained_by_the_mounted_api(sqlite_url):
    settings = load_settings(store=sqlite_url)
    store = open_store(sqlite_url)
    app = create_app(settings, store=store, sinks=observability_sinks(settings, store))
    app.ctx.mounts["/ui/"] = create_ui_app(app.ctx)
    app.ctx.mounts["/api/"] = create_admin_app(app.ctx)
    admin, _ = create_key(store, role="admin", name="ops")
    user, _ = create_key(store, role="app", name="app")
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        resp = client.post(
            "/v1/chat/completions",
            headers={
                "authorization": f"Bearer {user}",
                "x-seedstack-customer": "acme",
                "x-seedstack-prompt-template": "support-refund@4",
            },
            json={"model": "demo", "messages": [{"role": "user", "content": "where is my refund?"}]},
        )
        assert resp.status_code == 200
        rid = resp.headers["x-request-id"]
        app.ctx.gateway.recorder.flush()
        story = client.get(f"/api/requests/{rid}", headers={"authorization": f"Bearer {admin}"}).json()
        assert story["customer"] == "acme" and story["template"]["name"] == "support-refund"
        assert story["model"]["simulated"] is True and story["latency"]["total_ms"] > 0
        assert client.get("/api/slo", headers={"authorization": f"Bearer {user}"}).status_code == 403  # app role
        page = client.get(f"/ui/requests/{rid}", headers={"authorization": f"Bearer {admin}"})
        assert page.status_code == 200 and rid in page.text
        assert client.get("/ui/", follow_redirects=False).status_code == 303  # no key: to the login page


def test_keyword_search_finds_an_encrypted_payload_written_by_the_recorder_process(sqlite_url):
    """The default gateway: records written by the recorder process, payloads sealed, index blind; the
    dashboard and the admin API still find the request by a word of its prompt."""
    settings = load_settings(store=sqlite_url, telemetry={"audit": True})
    app = create_app(settings)
    store = app.ctx.store
    admin, _ = create_key(store, role="admin", name="ops")
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        auth = {"authorization": f"Bearer {admin}"}
        resp = client.post(
            "/v1/chat/completions",
            headers={**auth, "x-seedstack-customer": "acme"},
            json={"model": "demo", "messages": [{"role": "user", "content": "my parcel never arrived, refund please"}]},
        )
        assert resp.status_code == 200
        rid = resp.headers["x-request-id"]
        app.ctx.gateway.recorder.flush()
        body = store.query_one("SELECT body FROM payloads WHERE request_id = ?", (rid,))[0]
        assert b"parcel" not in bytes(body)
        hits = client.get("/api/requests", params={"q": "parcel refund", "customer": "acme"}, headers=auth).json()
        assert hits and hits[0]["request_id"] == rid
        assert "keyword" in hits[0]["matched"] and hits[0]["snippet"]  # the blind index matched the words
        page = client.get("/ui/requests", params={"q": "parcel"}, headers=auth)
        assert page.status_code == 200 and rid in page.text
