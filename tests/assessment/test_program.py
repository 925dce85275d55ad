"""The home program: made from the suggestions, edited by a clinician, checked item by item."""

from __future__ import annotations

import pytest

from hiprom.assessment import check_program, edit_program, load_catalogue, program_from_recommendations
from hiprom.assessment.exercises import catalogue_from_mapping, package_catalogue
from hiprom.errors import InputError
from tests.clinic_exercises import WALL_TURN


RECS = [
    {"exercise": "chair_rotation_internal", "side": "left", "direction": "internal", "reason": "left IR low"},
    {"exercise": "knee_to_knee", "side": "both", "direction": "internal", "reason": "left IR low"},
]


def test_program_from_suggestions_uses_the_catalogue_doses() -> None:
    cat = load_catalogue()
    program = program_from_recommendations(RECS, cat)
    assert program["schema"] == "hiprom.program/1"
    assert [it["exercise"] for it in program["items"]] == ["chair_rotation_internal", "knee_to_knee"]
    assert program["items"][0]["dose"] == cat.get("chair_rotation_internal").dose.to_dict()
    assert check_program(program, cat) == program


def test_a_clinician_removes_adds_and_doses() -> None:
    cat = load_catalogue()
    program = program_from_recommendations(RECS, cat)
    edited = edit_program(program, cat, remove=[("knee_to_knee", None)], add=[("crossed_leg_stretch", "left")],
                          doses={"chair_rotation_internal": {"hold_s": 5, "reps": 8}}, notes="Twice a day.")
    assert [(it["exercise"], it["side"]) for it in edited["items"]] == [
        ("chair_rotation_internal", "left"), ("crossed_leg_stretch", "left")]
    assert edited["items"][0]["dose"] == {"hold_s": 5, "reps": 8, "sets": 2}
    assert edited["notes"] == "Twice a day."
    both = edit_program(edited, cat, add=[("band_leg_turn", None)])
    assert [it["side"] for it in both["items"] if it["exercise"] == "band_leg_turn"] == ["left", "right"]


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ({"items": [{"exercise": "jumping", "side": "left"}]}, "program item 1: unknown exercise 'jumping'"),
        ({"items": [{"exercise": ["a"], "side": "left"}]}, "program item 1: unknown exercise"),
        ({"items": [{"exercise": "knee_to_knee", "side": "middle"}]}, "side must be one of"),
        ({"items": [{"exercise": "knee_to_knee", "dose": {"reps": 0}}]}, "dose reps must be a whole number from 1"),
        ({"items": [{"exercise": "knee_to_knee", "dose": {"hold_s": "3"}}]}, "dose hold_s must be a whole number"),
        ({"items": [{"exercise": "knee_to_knee", "colour": 1}]}, "unknown field 'colour'"),
        ({"items": "all"}, "'items' must be a list"),
        ({"items": [], "schema": "other/1"}, "schema is 'other/1'"),
        ({"items": [{"exercise": "knee_to_knee"}] * 31}, "at most 30 items"),
    ],
)
def test_a_bad_program_is_one_clear_error(program: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_program(program, load_catalogue())


def test_removing_what_is_not_there_says_so() -> None:
    cat = load_catalogue()
    with pytest.raises(InputError, match="not in this program"):
        edit_program({"items": []}, cat, remove=[("knee_to_knee", None)])


def test_a_program_with_a_clinics_own_exercise_carries_it_to_a_hiprom_without_it() -> None:
    # The clinic's program named its own exercise by id alone, so the patient's hiprom, with the package's
    # catalogue only, refused the whole file ("unknown exercise 'clinic_wall_turn'") and could not show it.
    clinic = catalogue_from_mapping({"exercise": [WALL_TURN]}, "clinic.toml", package_catalogue())
    kept = edit_program({"items": [], "notes": None}, clinic, add=[("clinic_wall_turn", "left"),
                                                                   ("knee_to_knee", None)])
    assert kept["exercises"] == [WALL_TURN]  # only the exercise the package lacks, as the clinic defined it
    home = check_program(kept, package_catalogue())
    assert home == kept
    assert home["items"][0] == {"exercise": "clinic_wall_turn", "side": "left", "direction": "internal",
                                "reason": None, "dose": {"hold_s": 2, "reps": 8, "sets": 1}, "notes": None}
    assert package_catalogue().with_program(home).get("clinic_wall_turn").steps == tuple(WALL_TURN["steps"])
    redosed = edit_program(home, package_catalogue(), doses={"clinic_wall_turn": {"reps": 10}})
    assert redosed["items"][0]["dose"]["reps"] == 10 and redosed["exercises"] == [WALL_TURN]  # the item's dose changes
    assert "exercises" not in check_program(program_from_recommendations(RECS, clinic), clinic)  # the package's own
    with pytest.raises(InputError, match="program: exercises: exercise 'clinic_wall_turn': field 'steps' is missing"):
        check_program({**kept, "exercises": [{k: v for k, v in WALL_TURN.items() if k != "steps"}]},
                      package_catalogue())
