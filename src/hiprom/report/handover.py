"""The home program handed over: a clinic's session with its kept program, taken into a patient's own store.

The file is the session's JSON export (``hiprom.export/1``, :mod:`hiprom.report.exports`): one schema for
everything that travels between stores, read back by the one import (:func:`hiprom.report.imports.import_export`).
Its ``program`` is the program the clinician kept, item for item as the program's printed page lists it; the
patient's page follows the newest such program (:meth:`hiprom.store.Store.handed_program`).
"""

from __future__ import annotations

from pathlib import Path

from hiprom.errors import InputError
from hiprom.report.data import ReportData
from hiprom.report.imports import ImportResult, import_export, read_export
from hiprom.store import RecordNotFound, Store


def handed_over(store: Store, session_id: int | str) -> ReportData:
    """The session to hand over with its kept program; ``InputError`` when no clinician kept one for it.

    A program made from the suggestions and never kept is not in an export (``program`` is ``null``), so the
    patient's page would have nothing to follow.
    """
    data = ReportData.from_store(store, session_id)
    if not data.program:
        sid = data.session.id if data.session else session_id
        raise InputError(f"session {sid}: its home program was not kept by a clinician (it is the test's "
                         f"suggestions); keep it with 'hiprom program edit {sid}' (with no option it keeps them as "
                         "they are), then hand it over")
    if not data.program.get("items"):
        raise InputError(f"session {data.session.id if data.session else session_id}: its home program is empty; "
                         "add exercises with 'hiprom program edit' first")
    return data


def take_in(store: Store, path: str | Path, subject: str | None = None, content: str | None = None) -> ImportResult:
    """Import the handed-over file at ``path`` into the patient's ``store``; ``InputError`` if it holds no program.

    The file's person joins the subject of the same pseudonym here (``subject`` names another): a patient's
    store holds their own records, and a second visit's program is theirs too (``hiprom store import`` refuses a
    pseudonym it has, which at a clinic may be someone else). ``content``: the file's content when it was sent to
    the page; ``path`` is then its name.
    """
    p = Path(path)
    items = read_export(p, content)
    if not any(item.program and item.program.get("items") for item in items):
        raise InputError(f"{p}: holds no home program kept by a clinician; ask the clinic for the file "
                         "'hiprom program export SESSION' writes")
    if subject is None:
        names = {item.subject["pseudonym"] for item in items if item.subject}
        if len(names) == 1:
            try:
                subject = store.subject(next(iter(names))).pseudonym
            except RecordNotFound:
                subject = None
    return import_export(store, p, subject, content)
