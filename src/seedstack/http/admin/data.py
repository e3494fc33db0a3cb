"""Datasets, models and the audit log over HTTP: the same services the CLI calls, with the same
checks, so a permission cannot be enforced in one surface and forgotten in the other."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ...access import check, read_audit
from ...config import Settings
from ...data import DatasetService
from ...errors import InvalidRequestError, NotFoundError
from ...registry import ModelRegistry, lineage
from ...store import Store
from .endpoint import Call, Handler, Target, guarded, int_param
from .withhold import reason

__all__ = ["registry_routes"]

_MAX_ROWS = 100


def _model_json(call: Call, out: dict[str, Any]) -> dict[str, Any]:
    """A model version as JSON; without ``models.read_artifact`` the URI and checksum are null."""
    if not check(call.actor.role, "models.read_artifact"):
        out["artifact"] = out["sha256"] = None
        out["withheld"] = {
            "fields": ["artifact", "sha256"],
            "permission": "models.read_artifact",
            "reason": reason("models.read_artifact"),
        }
    return out


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"'{name}' must be a non-empty string", param=name)
    return value


def _dataset_list(body: dict[str, Any]) -> list[str]:
    value = body.get("datasets") or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequestError("'datasets' must be a list like [\"chats@v3\"]", param="datasets")
    return value


def _dataset_target(request: Request, body: dict[str, Any]) -> str:
    return f"dataset:{request.path_params.get('ref') or request.path_params.get('name')}"


def _model_target(request: Request, body: dict[str, Any]) -> str:
    if "ref" in request.path_params:
        return f"model:{request.path_params['ref']}"
    if request.method == "POST":
        return f"model:{body.get('name')}@{body.get('version')}"
    return f"model:{request.query_params.get('name') or '*'}"


def registry_routes(store: Store, settings: Settings) -> list[Route]:
    def datasets(call: Call) -> DatasetService:
        return DatasetService.from_settings(settings, store, call.actor)

    def models(call: Call) -> ModelRegistry:
        return ModelRegistry(store, call.actor)

    # --- datasets -------------------------------------------------------------------------------
    def dataset_list(call: Call) -> Any:
        return datasets(call).datasets()

    def dataset_log(call: Call) -> Any:
        return datasets(call).log(call.path("name"))

    def dataset_show(call: Call) -> Any:
        rows = int_param(call.query, "rows", 0, low=0, high=_MAX_ROWS)
        return datasets(call).show(call.path("ref"), rows=rows)

    # --- models ---------------------------------------------------------------------------------
    def model_list(call: Call) -> Any:
        return [_model_json(call, m.to_dict()) for m in models(call).list(call.query.get("name") or None)]

    def model_register(call: Call) -> Any:
        b = call.body
        name, version = _text(b, "name", required=True), _text(b, "version", required=True)
        metadata = b.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidRequestError("'metadata' must be a JSON object", param="metadata")
        mv = models(call).register(
            str(name),
            str(version),
            artifact=str(_text(b, "artifact", required=True)),
            sha256=_text(b, "sha256"),
            base_model=_text(b, "base_model"),
            datasets=_dataset_list(b),
            quantization=_text(b, "quantization"),
            backend=_text(b, "backend"),
            metadata=metadata,
        )
        return _model_json(call, mv.to_dict())

    def model_show(call: Call) -> Any:
        if "/" in call.path("ref").rpartition("@")[2]:
            raise NotFoundError(
                f"no admin endpoint /api/models/{call.path('ref')}: use /api/models/NAME@VERSION, "
                "…/lineage, or POST …/promote"
            )
        return _model_json(call, models(call).show(call.path("ref")).to_dict())

    def model_lineage(call: Call) -> Any:
        out = lineage(store, call.actor, call.path("ref"))
        out["model"] = _model_json(call, out["model"])
        return out

    def model_promote(call: Call) -> Any:
        stage = _text(call.body, "stage") or "production"
        return _model_json(call, models(call).promote(call.path("ref"), stage).to_dict())

    # --- audit ----------------------------------------------------------------------------------
    def audit_log(call: Call) -> Any:
        q = call.query
        denied = (q.get("denied") or "").lower()
        if denied not in ("", "true", "false", "1", "0"):
            raise InvalidRequestError(f"denied must be true or false, got '{denied}'", param="denied")
        entries = read_audit(
            store,
            target=q.get("target") or None,
            actor=q.get("actor") or None,
            denied_only=denied in ("true", "1"),
            limit=int_param(q, "limit", 50, low=1, high=1000),
        )
        return [asdict(e) for e in entries]

    def on(path: str, permission: str, target: Target, handler: Handler, method: str = "GET") -> Route:
        return Route(path, guarded(store, permission, target, handler), methods=[method])

    return [
        on("/datasets", "data.read_meta", lambda r, b: "dataset:*", dataset_list),
        on("/datasets/{name}/versions", "data.read_meta", _dataset_target, dataset_log),
        on("/datasets/{ref}", "data.read_meta", _dataset_target, dataset_show),
        on("/models", "models.read", _model_target, model_list),
        on("/models", "models.register", _model_target, model_register, "POST"),
        on("/models/{ref:path}/lineage", "models.read", _model_target, model_lineage),
        on("/models/{ref:path}/promote", "models.promote", _model_target, model_promote, "POST"),
        on("/models/{ref:path}", "models.read", _model_target, model_show),
        on("/audit", "audit.read", lambda r, b: "audit", audit_log),
    ]
