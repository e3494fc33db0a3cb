"""The model registry: immutable versions pinned to exact dataset versions, stages, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedstack.access import LOCAL_ADMIN, Actor, read_audit
from seedstack.data import DatasetService, GuardScrubber, TableLocation
from seedstack.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from seedstack.registry import ModelRegistry, lineage, lineage_for_request, version_for_backend
from tests.data.conftest import StubEngine

SHA = "ab" * 32


@pytest.fixture
def dataset(store, tmp_path: Path) -> DatasetService:
    svc = DatasetService(
        store, TableLocation(str(tmp_path / "lake")), LOCAL_ADMIN, scrubber=GuardScrubber(StubEngine())
    )
    src = tmp_path / "c.jsonl"
    src.write_text("".join(json.dumps({"q": f"hi {i}", "a": f"x{i}@y.io"}) + "\n" for i in range(10)))
    svc.add("chats", [src], message="support logs, Nov")
    svc.add("chats", [src], message="again")
    return svc


def _register(reg: ModelRegistry, version: str = "1", **kw) -> object:
    args = {
        "artifact": "s3://weights/bot-1",
        "sha256": SHA,
        "base_model": "llama-3.1-8b",
        "datasets": ["chats@v0"],
        "quantization": "awq-int4",
        "backend": "chat/vllm-0",
        **kw,
    }
    return reg.register("support-bot", version, **args)


def test_register_pins_dataset_versions_and_is_immutable(store, dataset) -> None:
    reg = ModelRegistry(store, LOCAL_ADMIN)
    mv = _register(reg)
    assert mv.datasets == ["chats@v0"] and mv.stage == "registered" and mv.artifact == "s3://weights/bot-1"
    with pytest.raises(InvalidRequestError, match="already registered"):
        _register(reg)
    with pytest.raises(InvalidRequestError, match="pin the dataset version: --dataset chats@v1"):
        _register(reg, "2", datasets=["chats"])
    with pytest.raises(NotFoundError, match="no version v9"):
        _register(reg, "2", datasets=["chats@v9"])
    with pytest.raises(InvalidRequestError, match="unknown quantization 'int3'"):
        _register(reg, "2", quantization="int3")


def test_promote_to_production_archives_the_previous(store, dataset) -> None:
    reg = ModelRegistry(store, LOCAL_ADMIN)
    _register(reg, "1")
    _register(reg, "2", datasets=["chats@v1"])
    reg.promote("support-bot@1", "production")
    reg.promote("support-bot@2", "production")
    stages = {m.version: m.stage for m in reg.list("support-bot")}
    assert stages == {"1": "archived", "2": "production"}


def test_backend_maps_to_the_production_version(store, dataset) -> None:
    reg = ModelRegistry(store, LOCAL_ADMIN)
    assert version_for_backend(store, "chat/vllm-0") is None
    _register(reg, "1")
    reg.promote("support-bot@1", "production")
    _register(reg, "2", datasets=["chats@v1"])  # a newer candidate does not relabel traffic
    assert version_for_backend(store, "chat/vllm-0") == "support-bot@1"
    reg.register("other", "9", artifact="s3://o", backend="chat")
    assert version_for_backend(store, "chat/vllm-0") == "support-bot@1"  # exact backend beats alias
    assert version_for_backend(store, "chat/vllm-1") == "other@9"


def test_lineage_shows_datasets_scrub_reports_and_traffic(store, dataset) -> None:
    reg = ModelRegistry(store, LOCAL_ADMIN)
    _register(reg)
    for i, status in enumerate((200, 200, 500)):
        store.execute(
            "INSERT INTO requests (id, ts, endpoint, status_code, model_version, cost_usd, latency_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (f"r{i}", 1000.0 + i, "/v1/chat/completions", status, "support-bot@1", 0.01, 100.0),
        )
    out = lineage(store, LOCAL_ADMIN, "support-bot@1")
    ds = out["datasets"][0]
    assert ds["dataset"] == "chats@v0" and ds["rows"] == 10 and ds["message"] == "support logs, Nov"
    assert ds["scrub"]["entities"] == {"EMAIL": 10}
    assert out["traffic"]["requests"] == 3 and out["traffic"]["errors"] == 1
    assert out["traffic"]["cost_usd"] == pytest.approx(0.03)
    why = lineage_for_request(store, model_version="support-bot@1")
    assert why["datasets"][0]["scrub"]["policy"] == "redact" and "artifact" not in why["model"]


def test_roles_gate_registering_promoting_and_artifact_uris(store, dataset) -> None:
    _register(ModelRegistry(store, LOCAL_ADMIN))
    auditor = ModelRegistry(store, Actor("ann", "auditor", key_id="k9"))
    seen = auditor.show("support-bot@1")
    assert seen.artifact is None and seen.sha256 is None and seen.datasets == ["chats@v0"]
    with pytest.raises(PermissionDeniedError, match="auditor"):
        auditor.promote("support-bot@1", "production")
    with pytest.raises(PermissionDeniedError):
        ModelRegistry(store, Actor("svc", "app", key_id="k8")).show("support-bot@1")
    eng = ModelRegistry(store, Actor("eve", "ml-engineer", key_id="k7"))
    assert eng.show("support-bot@1").artifact == "s3://weights/bot-1"
    eng.promote("support-bot@1", "staging")
    actions = [(e.actor, e.action, e.allowed) for e in read_audit(store, target="model:support-bot@1")]
    assert ("key:ann", "models.promote", False) in actions and ("key:eve", "models.promote", True) in actions


def test_vacuum_respects_models_registered_through_the_registry(store, dataset, tmp_path: Path) -> None:
    _register(ModelRegistry(store, LOCAL_ADMIN))
    assert set(dataset.vacuum("chats", retention_hours=0, dry_run=True)["kept_versions"]) == {"v0", "v1"}
