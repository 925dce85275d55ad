"""The exercise catalogue: the package's file, a clinic's override, and one clear line for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.assessment import EXERCISES_ENV, load_catalogue
from hiprom.assessment.exercises import package_catalogue
from hiprom.errors import ConfigError


def test_package_catalogue_is_complete_and_safe() -> None:
    cat = package_catalogue()
    ids = [ex.id for ex in cat.exercises]
    assert len(ids) == len(set(ids)) >= 9
    assert {"chair_rotation_internal", "chair_rotation_external"} <= {ex.id for ex in cat.exercises if ex.camera_followed}
    assert cat.targeting("internal") and cat.targeting("external")
    safety = " ".join(cat.safety).lower()
    for words in ("comfortable", "stop", "hurts", "slowly"):
        assert words in safety
    for ex in cat.exercises:
        assert ex.steps and ex.dose.reps >= 1 and ex.dose.sets >= 1


def test_a_clinic_file_changes_doses_removes_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(
        'remove = ["band_leg_turn"]\n'
        '[[exercise]]\nid = "chair_rotation_internal"\ndose = {hold_s = 5}\n'
        '[[exercise]]\nid = "clinic_wall_turn"\nname = "Wall turn"\nposition = "standing"\n'
        'targets = ["internal"]\nkind = "active"\nsides = "each"\ncamera_followed = false\n'
        'steps = ["Stand by a wall.", "Turn the knee in."]\ncautions = []\n'
        'dose = {hold_s = 2, reps = 8, sets = 1}\n'
    )
    monkeypatch.setenv(EXERCISES_ENV, str(path))
    cat = load_catalogue()
    chair = cat.get("chair_rotation_internal")
    assert (chair.dose.hold_s, chair.dose.reps, chair.dose.sets) == (5, 10, 2)  # only the hold changed
    assert "band_leg_turn" not in [ex.id for ex in cat.exercises]
    assert cat.get("clinic_wall_turn").name == "Wall turn"
    assert cat.safety == package_catalogue().safety
    monkeypatch.delenv(EXERCISES_ENV)
    assert load_catalogue() is package_catalogue()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[exercise]]\nid = "chair_rotation_internal"\ndose = {reps = 0}\n', "dose.reps must be a whole number from 1"),
        ('[[exercise]]\nid = "new_one"\nname = "x"\n', "field 'camera_followed' is missing"),
        ('[[exercise]]\nid = "chair_rotation_internal"\ntargets = ["sideways"]\n', "targets must be a list of"),
        ('[[exercise]]\nid = "Bad Id"\n', "id must be 1-40 lower-case"),
        ('remove = ["no_such"]\n', "remove lists an exercise not in the catalogue"),
        ('colour = "red"\n', "unknown setting 'colour'"),
        ('[[exercise]]\nid = "chair_rotation_internal"\nspeed = 3\n', "unknown field 'speed'"),
        ("this is = not toml =", "not a valid TOML exercise catalogue"),
    ],
)
def test_a_bad_clinic_file_is_one_line_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_catalogue(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_missing_clinic_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"not found; check --exercises or {EXERCISES_ENV}"):
        load_catalogue(tmp_path / "nope.toml")


@pytest.mark.parametrize(("days", "said"), [
    (0, "Your last test was today (2026-10-20). Test again from 2026-11-17, 4–6 weeks after it."),
    (1, "Your last test was yesterday (2026-10-20). Test again from 2026-11-17, 4–6 weeks after it."),
    (10, "Your last test was 10 days ago (2026-10-20). Test again from 2026-11-17, 4–6 weeks after it."),
    (27, "Your last test was 3 weeks ago (2026-10-20). Test again from 2026-11-17, 4–6 weeks after it."),
    (28, "Your last test was 4 weeks ago (2026-10-20): time to test again, the same way (same chair, same camera "
         "place)."),
    (49, "Your last test was 7 weeks ago (2026-10-20): time to test again, the same way (same chair, same camera "
         "place)."),
])
def test_between_tests_the_page_says_when_the_last_was_and_when_to_test_again(days: int, said: str) -> None:
    """Someone back weeks later for the re-test, or back too soon, read only "Press Start test"."""
    from datetime import date, timedelta

    from hiprom.assessment.exercises import last_test_words

    assert last_test_words(date(2026, 10, 20), date(2026, 10, 20) + timedelta(days=days)) == said


def test_the_advice_to_test_again_gives_the_days_it_means() -> None:
    """The report and the program's sheet said "in about 4–6 weeks", leaving the sum to the patient."""
    from datetime import date

    from hiprom.assessment.exercises import RETEST_ADVICE, retest_advice

    assert retest_advice(date(2026, 12, 7)) == RETEST_ADVICE.replace("in about 4–6 weeks",
                                                                     "from 2027-01-04 to 2027-01-18")
    assert retest_advice(None) == RETEST_ADVICE
