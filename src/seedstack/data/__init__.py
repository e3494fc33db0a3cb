"""Versioned, schema-strict, PII-scrubbed datasets on Delta Lake (``seedstack data …``)."""

from .catalog import DatasetCatalog, VersionRecord
from .errors import ConcurrentWriteError, SchemaMismatchError
from .rotate import rotate_data_key
from .schema import ROW_HASH
from .scrub import GuardScrubber, PiiEngine, Scrubber, ScrubReport, scrubber_from_settings
from .service import DatasetService
from .tables import DatasetRef, TableLocation, parse_ref

__all__ = [
    "ROW_HASH",
    "ConcurrentWriteError",
    "DatasetCatalog",
    "DatasetRef",
    "DatasetService",
    "GuardScrubber",
    "PiiEngine",
    "SchemaMismatchError",
    "ScrubReport",
    "Scrubber",
    "TableLocation",
    "VersionRecord",
    "parse_ref",
    "rotate_data_key",
    "scrubber_from_settings",
]
