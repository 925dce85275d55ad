"""The session store: subjects, sessions, trials and per-frame series.

SQLite in the user's data folder by default, any SQLAlchemy URL (PostgreSQL
for a clinic sharing records) by ``--db`` or ``HIPROM_DB_URL``; see
``docs/store.md``.
"""

from hiprom.store.location import DATA_DIR_ENV, DB_URL_ENV, data_dir, resolve_url
from hiprom.store.records import (
    ANALYSIS_SCHEMA,
    RecordExists,
    RecordNotFound,
    SessionFigures,
    SessionRecord,
    SubjectRecord,
    check_analysis,
)
from hiprom.store.references import INSTRUMENTS, MEASURES, ReferenceInput, ReferenceRecord
from hiprom.store.schema import SCHEMA_VERSION
from hiprom.store.store import Store, save_analysis

__all__ = [
    "ANALYSIS_SCHEMA",
    "DATA_DIR_ENV",
    "DB_URL_ENV",
    "INSTRUMENTS",
    "MEASURES",
    "SCHEMA_VERSION",
    "RecordExists",
    "RecordNotFound",
    "ReferenceInput",
    "ReferenceRecord",
    "SessionFigures",
    "SessionRecord",
    "Store",
    "SubjectRecord",
    "check_analysis",
    "data_dir",
    "resolve_url",
    "save_analysis",
]
