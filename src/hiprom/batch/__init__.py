"""Batch analysis: many files, parallel workers, resumable, optionally on Dask.

``run_batch(inputs, out_dir, ...)`` is what ``hiprom batch`` calls; see
``docs/batch.md`` for the outputs, resume rules and the Dask backend.
"""

from hiprom.batch.discover import Job, discover
from hiprom.batch.outputs import BatchOptions, OutputPaths
from hiprom.batch.runner import BatchFailedError, BatchResult, run_batch
from hiprom.batch.summary import COLUMNS, SummaryRow, read_summary, write_summary
from hiprom.batch.worker import analyze_one
from hiprom.source import VIDEO_SUFFIXES

__all__ = [
    "COLUMNS",
    "VIDEO_SUFFIXES",
    "BatchFailedError",
    "BatchOptions",
    "BatchResult",
    "Job",
    "OutputPaths",
    "SummaryRow",
    "analyze_one",
    "discover",
    "read_summary",
    "run_batch",
    "write_summary",
]
