"""Optional names and locations from Presidio + spaCy (``pip install 'seedstack[ner]'``), batch path only.

The fast path finds people and addresses only where a cheap cue exists; a statistical NER model
finds far more of them but costs milliseconds per KB, so it is offered for offline scrubbing of
training data, never on the request path. The spaCy model is installed as a package, never
downloaded at run time.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingExtraError
from .types import Finding

__all__ = ["PresidioNER"]

_TYPE = {"PERSON": "PERSON", "LOCATION": "LOCATION", "GPE": "LOCATION", "NRP": "LOCATION"}


class PresidioNER:
    """``find(text)`` returns PERSON and LOCATION findings from Presidio's ``AnalyzerEngine``."""

    def __init__(self, spacy_model: str = "en_core_web_sm", *, min_score: float = 0.5) -> None:
        try:
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider
        except ImportError:
            raise MissingExtraError("names and locations by NER (Presidio)", "ner") from None
        try:
            provider = NlpEngineProvider(
                nlp_configuration={
                    "nlp_engine_name": "spacy",
                    "models": [{"lang_code": "en", "model_name": spacy_model}],
                }
            )
            self._engine: Any = AnalyzerEngine(nlp_engine=provider.create_engine())
        except OSError:
            raise MissingExtraError(f"the spaCy model {spacy_model!r} (install it as a package)", "ner") from None
        self.min_score = min_score

    def find(self, text: str) -> list[Finding]:
        results = self._engine.analyze(text, language="en", entities=["PERSON", "LOCATION"])
        return [
            Finding("pii", _TYPE.get(r.entity_type, r.entity_type), r.start, r.end, float(r.score))
            for r in results
            if r.score >= self.min_score
        ]
