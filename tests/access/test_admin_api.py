"""The admin API enforces the role table: every role against every endpoint, on SQLite and PostgreSQL.

Real stores, a real Delta table and the real registry, through Starlette's in-process client. A
refusal is a 403 in the OpenAI error shape that names the permission and the roles holding it, and
leaves a denied row in the audit log; a missing, unknown or revoked key is a 401.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from seedstack.access import LOCAL_ADMIN, ROLES, check, holders, read_audit
from seedstack.config import load_settings
from seedstack.data import DatasetService, TableLocation
from seedstack.explain.demo import insert_records
from seedstack.gateway.keys import create_key, revoke_key
from seedstack.http.admin import create_admin_app
from seedstack.http.ui import create_ui_app
from seedstack.registry import ModelRegistry
from seedstack.telemetry.record import RequestRecord

SECRET = "parcel-zx81-secret"  # appears only in payload text and template variables
ARTIFACT = "s3://weights/support-bot-1"


def _records() -> list[RequestRecord]:
    now = time.time()
    tool_call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": SECRET}}
    return [
        RequestRecord(
            id="req_root",
            ts=now - 60,
            endpoint="chat",
            trace_id="trace_1",
            customer="acme",
            template="support",
            template_version="1",
            alias="chat",
            status_code=200,
            latency_ms=120.0,
            tokens_in=20,
            tokens_out=10,
            cost_usd=0.0001,
            metadata={"template_vars": {"parcel": SECRET}},
            payload_kept=True,
            payload_reason="sampled",
            payload={
                "request": {"messages": [{"role": "user", "content": f"where is {SECRET}?"}]},
                "response": {"choices": [{"message": {"role": "assistant", "content": "", "tool_calls": [tool_call]}}]},
            },
        )
    ]


@pytest.fixture
def env(store: Any, tmp_path: Path) -> SimpleNamespace:
    root = str(tmp_path / "lake")
    settings = load_settings(data={"root": root})
    src = tmp_path / "chats.jsonl"
    src.write_text("".join(json.dumps({"q": f"question {i}", "a": "ok"}) + "\n" for i in range(5)))
    DatasetService(store, TableLocation(root), LOCAL_ADMIN).add("chats", [src], message="first")
    ModelRegistry(store, LOCAL_ADMIN).register("support-bot", "1", artifact=ARTIFACT, datasets=["chats@v0"])
    insert_records(store, _records())
    keys = {role: create_key(store, role=role, name=f"{role}-key")[0] for role in ROLES}
    revoked, rec = create_key(store, role="admin", name="old-admin")
    revoke_key(store, rec.id)
    ctx = SimpleNamespace(settings=settings, store=store)
    return SimpleNamespace(
        store=store,
        keys=keys,
        revoked=revoked,
        api=TestClient(create_admin_app(ctx)),
        ui=TestClient(create_ui_app(ctx)),
    )


def _h(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


# (method, path, permissions it needs in the order they are checked, JSON body).
ENDPOINTS: list[tuple[str, str, str, Any]] = [
    ("GET", "/api/requests", "observability.read", None),
    ("GET", "/api/requests/req_root", "observability.read", None),
    ("GET", "/api/traces/trace_1", "observability.read", None),
    ("GET", "/api/slo", "observability.read", None),
    ("GET", "/api/drift", "observability.read", None),
    ("GET", "/api/overview", "observability.read", None),
    ("GET", "/api/requests?q=parcel", "observability.read payloads.read", None),
    ("GET", "/api/datasets", "data.read_meta", None),
    ("GET", "/api/datasets/chats/versions", "data.read_meta", None),
    ("GET", "/api/datasets/chats@v0", "data.read_meta", None),
    ("GET", "/api/datasets/chats@v0?rows=2", "data.read_meta data.read", None),
    ("GET", "/api/models", "models.read", None),
    ("GET", "/api/models/support-bot@1", "models.read", None),
    ("GET", "/api/models/support-bot@1/lineage", "models.read data.read_meta", None),
    ("POST", "/api/models/support-bot@1/promote", "models.promote", {"stage": "staging"}),
    ("POST", "/api/models", "models.register", {"version": "{role}", "datasets": ["chats@v0"]}),
    ("GET", "/api/audit", "audit.read", None),
]


def _send(client: TestClient, method: str, path: str, key: str, body: Any, role: str) -> Any:
    if body is None:
        return client.request(method, path, headers=_h(key))
    if "version" in body:
        body = {"name": "support-bot", "artifact": "s3://weights/x", **body, "version": f"2-{role}"}
    return client.request(method, path, headers=_h(key), json=body)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_endpoint_answers_each_role_by_the_permission_table(env, role) -> None:
    key = env.keys[role]
    for method, path, needs, body in ENDPOINTS:
        resp = _send(env.api, method, path, key, body, role)
        where = f"{role}: {method} {path}"
        missing = [p for p in needs.split() if not check(role, p)]
        if not missing:
            assert resp.status_code == 200, f"{where} -> {resp.status_code} {resp.text}"
            continue
        assert resp.status_code == 403, f"{where} -> {resp.status_code} {resp.text}"
        permission = missing[0]
        error = resp.json()["error"]
        assert set(error) == {"message", "type", "code", "param"}
        assert error["type"] == "permission_error" and error["code"] == "permission_denied"
        assert permission in error["message"] and ", ".join(holders(permission)) in error["message"]
        denied = read_audit(env.store, actor=f"key:{role}-key", denied_only=True, limit=1)
        assert denied and denied[0].action == permission, where
        assert denied[0].role == role and denied[0].detail["key_id"]


def test_denials_are_visible_to_auditors_through_the_api(env) -> None:
    for path in ("/api/datasets/chats@v0?rows=3", "/api/models/support-bot@1/promote"):
        env.api.request("POST" if path.endswith("promote") else "GET", path, headers=_h(env.keys["auditor"]))
    assert env.api.get("/api/datasets", headers=_h(env.keys["app"])).status_code == 403
    rows = env.api.get("/api/audit", params={"denied": "true"}, headers=_h(env.keys["auditor"])).json()
    seen = {(r["actor"], r["action"], r["target"], r["allowed"]) for r in rows}
    assert ("key:auditor-key", "data.read", "dataset:chats@v0", False) in seen
    assert ("key:auditor-key", "models.promote", "model:support-bot@1", False) in seen
    assert ("key:app-key", "data.read_meta", "dataset:*", False) in seen


@pytest.mark.parametrize("headers", [{}, _h("sk-nobody"), {"authorization": "Basic abc"}])
def test_a_missing_or_unknown_key_is_401_with_a_hint(env, headers) -> None:
    before = len(read_audit(env.store))
    resp = env.api.get("/api/datasets", headers=headers)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"
    message = resp.json()["error"]["message"]
    assert (
        ("Authorization: Bearer" in message)
        if "Bearer" not in headers.get("authorization", "")
        else ("unknown API key" in message)
    )
    assert len(read_audit(env.store)) == before  # nobody to attribute it to


def test_a_revoked_key_is_401_and_says_so(env) -> None:
    resp = env.api.get("/api/models", headers=_h(env.revoked))
    assert resp.status_code == 401 and "revoked" in resp.json()["error"]["message"]


def test_payload_text_is_withheld_without_payloads_read_and_audited_with_it(env) -> None:
    eng = _h(env.keys["ml-engineer"])
    story = env.api.get("/api/requests/req_root", headers=eng)
    assert story.status_code == 200 and SECRET not in story.text
    body = story.json()
    assert body["customer"] == "acme" and body["latency"]["total_ms"] == 120.0
    assert body["payload"]["sampled"] is True and body["payload"]["request"] is None
    assert "payloads.read" in body["withheld"]["reason"] and "admin, auditor" in body["withheld"]["reason"]
    trace = env.api.get("/api/traces/trace_1", headers=eng)
    assert trace.status_code == 200 and SECRET not in trace.text and trace.json()[0]["request_id"] == "req_root"
    assert not read_audit(env.store, actor="key:ml-engineer-key")  # metadata views are not refusals

    aud = _h(env.keys["auditor"])
    full = env.api.get("/api/requests/req_root", headers=aud)
    assert SECRET in full.json()["payload"]["request"]["messages"][0]["content"] and "withheld" not in full.json()
    assert SECRET in env.api.get("/api/traces/trace_1", headers=aud).text
    reads = read_audit(env.store, actor="key:auditor-key")
    assert {(e.action, e.target, e.allowed) for e in reads} == {
        ("payloads.read", "request:req_root", True),
        ("payloads.read", "trace:trace_1", True),
    }


def test_artifact_uris_only_for_roles_that_read_them(env) -> None:
    for role in ("admin", "ml-engineer", "auditor", "data-admin"):
        for path in ("/api/models/support-bot@1", "/api/models/support-bot@1/lineage"):
            resp = env.api.get(path, headers=_h(env.keys[role]))
            model = resp.json()["model"] if path.endswith("lineage") else resp.json()
            if check(role, "models.read_artifact"):
                assert model["artifact"] == ARTIFACT and "withheld" not in model
            else:
                assert ARTIFACT not in resp.text and model["artifact"] is None
                assert model["withheld"]["permission"] == "models.read_artifact"
        listed = env.api.get("/api/models", headers=_h(env.keys[role])).json()
        assert [m["ref"] for m in listed] == ["support-bot@1"]
        assert (listed[0]["artifact"] == ARTIFACT) is check(role, "models.read_artifact")


def test_promote_goes_through_the_registry_and_is_audited(env) -> None:
    eng = _h(env.keys["ml-engineer"])
    resp = env.api.post("/api/models/support-bot@1/promote", headers=eng, json={"stage": "production"})
    assert resp.status_code == 200 and resp.json()["stage"] == "production"
    resp = env.api.post("/api/models/support-bot@1/promote", headers=eng)  # no body: production
    assert resp.status_code == 200
    promoted = read_audit(env.store, target="model:support-bot@1", actor="key:ml-engineer-key")
    assert promoted[0].action == "models.promote" and promoted[0].allowed
    registered = env.api.post(
        "/api/models",
        headers=eng,
        json={"name": "support-bot", "version": "2", "artifact": "s3://w/2", "datasets": ["chats@v0"]},
    )
    assert registered.status_code == 200 and registered.json()["datasets"] == ["chats@v0"]
    assert read_audit(env.store, target="model:support-bot@2")[0].action == "models.register"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("GET", "/api/datasets/Bad Name/versions", None, 400, "not allowed"),
        ("GET", "/api/datasets/nope", None, 404, "no dataset 'nope'"),
        ("GET", "/api/datasets/chats@v9", None, 404, "no version v9"),
        ("GET", "/api/datasets/chats@no-such-tag", None, 404, "no-such-tag"),
        ("GET", "/api/datasets/chats@v0?rows=lots", None, 400, "rows must be a whole number"),
        ("GET", "/api/datasets/chats@v0?rows=100000", None, 400, "rows must be between"),
        ("GET", "/api/models/support-bot", None, 400, "NAME@VERSION"),
        ("GET", "/api/models/support-bot@9", None, 404, "no model support-bot@9"),
        ("GET", "/api/models/support-bot@9/lineage", None, 404, "no model support-bot@9"),
        ("GET", "/api/models/support-bot@1/promote", None, 404, "POST …/promote"),
        ("POST", "/api/models/support-bot@1/promote", {"stage": "gold"}, 400, "unknown stage 'gold'"),
        ("POST", "/api/models/support-bot@1/promote", "{not json", 400, "not valid JSON"),
        ("POST", "/api/models/support-bot@1/promote", [1, 2], 400, "JSON object"),
        ("POST", "/api/models", {"name": "m", "version": "1"}, 400, "'artifact'"),
        ("POST", "/api/models", {"name": "m", "version": "1", "artifact": "a", "datasets": "x"}, 400, "datasets"),
        ("POST", "/api/models", {"name": "m", "version": "1", "artifact": "a", "datasets": ["chats"]}, 400, "pin"),
        ("GET", "/api/audit?limit=0", None, 400, "limit must be between"),
        ("GET", "/api/audit?denied=maybe", None, 400, "denied must be true or false"),
        ("GET", "/api/requests?limit=many", None, 400, "limit must be a whole number"),
        ("GET", "/api/overview?hours=-1", None, 400, "hours must be between"),
        ("GET", "/api/requests/req_nope", None, 404, "no request req_nope"),
        ("GET", "/api/traces/trace_nope", None, 404, "no requests with trace id"),
        ("POST", "/api/datasets", None, 405, "not allowed"),
        ("GET", "/api/nothing-here", None, 404, "no admin endpoint"),
    ],
)
def test_bad_input_is_a_clear_4xx_never_a_500(env, method, path, body, status, says) -> None:
    kwargs: dict[str, Any] = {"headers": _h(env.keys["admin"])}
    if isinstance(body, str):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    resp = env.api.request(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    assert says in resp.json()["error"]["message"]


def test_a_denied_role_learns_nothing_about_what_exists(env) -> None:
    app = _h(env.keys["app"])
    for existing, missing in (("/api/models/support-bot@1", "/api/models/nope@1"), ("chats", "nope")):
        if not existing.startswith("/"):
            existing, missing = f"/api/datasets/{existing}/versions", f"/api/datasets/{missing}/versions"
        known, unknown = env.api.get(existing, headers=app), env.api.get(missing, headers=app)
        assert known.status_code == unknown.status_code == 403
        assert known.json()["error"]["message"].split(" on ")[0] == unknown.json()["error"]["message"].split(" on ")[0]
    bad = env.api.post("/api/models/support-bot@1/promote", headers=app, content="{oops")
    assert bad.status_code == 403  # the permission is checked (and audited) before the body


def test_the_dashboard_still_opens_only_for_admins(env) -> None:
    assert env.ui.get("/ui/", headers=_h(env.keys["admin"])).status_code == 200
    page = env.ui.get("/ui/", headers=_h(env.keys["auditor"]), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")
    assert env.api.get("/api/slo", headers=_h(env.keys["auditor"])).status_code == 200
