"""The model registry (``seedstack models …``): versions, stages, dataset lineage, backend mapping."""

from .lineage import lineage, lineage_for_request, version_for_backend
from .models import QUANTIZATIONS, STAGES, ModelRegistry, ModelVersion, parse_model_ref

__all__ = [
    "QUANTIZATIONS",
    "STAGES",
    "ModelRegistry",
    "ModelVersion",
    "lineage",
    "lineage_for_request",
    "parse_model_ref",
    "version_for_backend",
]
