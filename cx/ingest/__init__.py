"""Files -> validated frames -> one atomic, idempotent batch per file, with a reject report."""

from cx.ingest.pipeline import (
    ImportFailed,
    ImportOptions,
    ImportSummary,
    load_bytes,
    load_file,
    load_frame,
    preview_mapping,
)
from cx.ingest.schema import KINDS

__all__ = [
    "KINDS",
    "ImportFailed",
    "ImportOptions",
    "ImportSummary",
    "load_bytes",
    "load_file",
    "load_frame",
    "preview_mapping",
]
