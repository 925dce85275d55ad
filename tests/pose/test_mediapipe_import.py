"""MediaPipe imported without its drawing and microphone helpers, which still work when asked for."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from hiprom.pose.mediapipe_import import import_mediapipe
mp = import_mediapipe()
skipped = {name: name in sys.modules for name in ("matplotlib", "matplotlib.pyplot", "sounddevice")}
from mediapipe.tasks.python import vision
landmarker = vision.PoseLandmarker.__name__  # the part hiprom uses is the real one
spec = vision.drawing_utils.DrawingSpec(thickness=3)  # a drawing helper, imported on first use
styles = vision.drawing_styles.get_default_pose_landmarks_style()
print(json.dumps({"skipped": skipped, "landmarker": landmarker, "thickness": spec.thickness,
                  "styles": len(styles), "pyplot_after_use": "matplotlib.pyplot" in sys.modules,
                  "image": mp.Image.__name__, "same": import_mediapipe() is mp}))
"""


def test_mediapipe_starts_without_drawing_helpers_which_load_on_first_use():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["skipped"] == {"matplotlib": False, "matplotlib.pyplot": False, "sounddevice": False}
    assert got["landmarker"] == "PoseLandmarker" and got["image"] == "Image" and got["same"]
    assert got["thickness"] == 3 and got["styles"] > 0 and got["pyplot_after_use"]
