"""A clinic's own exercises, as its catalogue file defines them (docs/exercises.md), one timed and one the camera
follows: for the tests of a program that carries them to a hiprom without that file."""

from __future__ import annotations

from hiprom.assessment.norms import tomllib

CLINIC_EXERCISES = """
[[exercise]]
id = "clinic_wall_turn"
name = "Wall turn"
position = "standing by a wall"
targets = ["internal"]
kind = "active"
sides = "each"
camera_followed = false
steps = ["Stand side-on to a wall.", "Turn the knee in and back."]
cautions = []
dose = {hold_s = 2, reps = 8, sets = 1}

[[exercise]]
id = "clinic_band_turn"
name = "Band turn, foot inward"
position = "sitting on a firm chair, facing the camera"
targets = ["external"]
kind = "active"
sides = "each"
camera_followed = true
steps = ["Loop the band round the ankle.", "Swing the foot inward against it, then back."]
cautions = []
dose = {hold_s = 3, reps = 6, sets = 1}
"""
"""The catalogue file's text (``--exercises FILE``, ``HIPROM_EXERCISES``)."""

WALL_TURN: dict = tomllib.loads(CLINIC_EXERCISES)["exercise"][0]
"""Its one exercise, as a program carries it (``Exercise.to_dict``)."""
