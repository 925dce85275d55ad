"""The session's fields: one base, the store's record and the API's forms derived from it."""

from __future__ import annotations

import dataclasses

from hiprom.server.routes.records import SessionPublic
from hiprom.store.records import SESSION_DERIVED, SessionBase, SessionRecord
from hiprom.store.schema import SessionRow


def test_a_sessions_fields_are_defined_once_and_every_form_derives_from_them():
    base = {f.name for f in dataclasses.fields(SessionBase)}
    assert base - set(SESSION_DERIVED) <= set(SessionRow.__table__.columns.keys())
    for form in (SessionRecord, SessionPublic):
        assert base <= {f.name for f in dataclasses.fields(form)}
