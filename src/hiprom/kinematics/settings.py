"""Every threshold and time constant of the kinematics kernel, in one frozen dataclass.

Each number carries a one-line justification. Lengths in the image are in
units of the subject's own shank length on screen (the shank hangs in the image
plane in a frontal view, so this is scale free and about 0.42 m on an adult).
"""

from __future__ import annotations

from dataclasses import dataclass

from hiprom.errors import ConfigError

_POLICIES = ("frontal", "world")

VALIDATED_YAW_DEG = 25.0
"""Camera up to 25 deg to either side: the range the accuracy benchmark covers (docs/accuracy.md). The
frontal method corrects the yaw within it; beyond it the set-up step asks to move the camera and every
frame is marked CAMERA_OBLIQUE."""


@dataclass(frozen=True)
class KinematicsSettings:
    """Thresholds, smoothing and uncertainty parameters of :func:`~hiprom.kinematics.measure`."""

    # --- measurability -------------------------------------------------------
    min_visibility: float = 0.5
    """Hip/knee/ankle visibility below this is LOW_VISIBILITY: MediaPipe's own 'probably visible' cut."""
    min_foot_visibility: float = 0.3
    """Heel and toe both below this is LOW_VISIBILITY: the foot is lost, so the ankle is a guess."""

    max_rotation_deg: float = 75.0
    """A reading beyond 75 deg is IMPLAUSIBLE_ANGLE (no number): seated hip rotation stays under ~60 deg
    even in hypermobile people; on the rendered clips only failed pose tracks read beyond it (up to 176)."""

    # --- posture -------------------------------------------------------------
    knee_flexion_range_deg: tuple[float, float] = (35.0, 145.0)
    """3-D knee flexion outside this is not the seated 90 deg posture. Wide on purpose: MediaPipe
    world hips sit high when seated, so a true 90 reads 70-80 and dips to ~45 mid-rotation
    (rendered clips); a straightened (<30) or tucked leg still fails."""
    thigh_camera_max_deg: float = 45.0
    """Thigh heading (horizontal) more than 45 deg off the camera axis: the swing is foreshortened > 30 %."""
    frontal_max_yaw_deg: float = 50.0
    """Beyond 50 deg of camera yaw the sideways swing is foreshortened below cos 50 = 0.64 and the
    yaw correction would magnify landmark noise past 1.5x: the 3-D method leads there instead."""
    oblique_yaw_deg: float = VALIDATED_YAW_DEG
    """Camera yaw beyond the validated range is CAMERA_OBLIQUE. It was 15 deg, where the uncorrected swing is
    under-read by 1.5 deg at 45: since the yaw is corrected, that marked every frame of a camera the set-up
    step accepts (gt10, 20 deg to the side: "camera too far to the side" on the dials and every trial)."""

    # --- methods -------------------------------------------------------------
    knee_anchor: float = 0.5
    """Frontal method: top of the shank = (1 - a) knee landmark + a (its resting place beside the hip).
    MediaPipe's knee follows the foot (~0.2 shank lengths at 35 deg); 0.5 cut the held-peak error on the
    rendered clips from 2.6 to 1.2 deg (mean absolute); 0 = the knee landmark as is. Exact data: no effect."""
    medial_occlusion_deg: float = 30.0
    """Frontal method: a foot swung medially (external rotation) is read this many degrees further per
    unit its ankle's visibility drops below its resting median. That foot crosses in front of the other
    leg, where the pose model both lowers the ankle's visibility and places it short of the swing: over
    the 60 external-rotation holds of the 30 rendered runs the shortfall went with the drop (Spearman
    -0.47; drops 0-0.12, e.g. gt10's far leg 0.10 and 4.1 deg short), while lateral swings, which cross
    nothing, showed no such shortfall (drops up to 0.36 on the grey figure with errors within 1 deg).
    25, 30 and 35 give the same held-peak MAE (1.20, 1.19, 1.20 deg); fitted on three clips, the fourth
    left out, 32-38. 0 = off (``docs/accuracy.md``)."""
    medial_occlusion_max_drop: float = 0.15
    """The visibility drop counts up to this much (at most 4.5 deg of correction): the held external
    rotations of the 30 rendered runs dropped 0-0.12, so the relation is not known beyond; larger drops,
    0.16-0.38 in single frames, came only from poor tracks (gt06 rolled, mirrored, 320x240). No
    benchmark figure changes with 0.15 (0.12: max 5.5 -> 5.6 deg)."""
    min_quiet_fraction: float = 0.10
    """The resting pose is trusted only when both legs are quiet in at least 10 % of the frames; below
    that (an unsteady pose track) the knee landmark is used as is (no knee anchor) and the camera's place
    is unknown. On a rendered clip the pose model tracked badly (7 % quiet) the anchor doubled the peak
    error (5 -> 12 deg); on gt06 mirrored (5 %) the camera read 9 deg to the side for 0 (its image cue 22);
    good clips are 20-48 %."""
    method_policy: str = "frontal"
    """'frontal' = the yaw-corrected frontal method first (MediaPipe's depth erred 4-10 deg on the
    rendered clips, the frontal method ~1); 'world' = the 3-D method first. The other fills gaps."""
    methods_disagree_deg: float = 20.0
    """Frontal vs 3-D difference beyond MediaPipe world-landmark error (up to ~16 deg at 30-40 deg holds
    on rendered clips, where the frontal method was within ~4 deg)."""

    # --- reference (neutral) -------------------------------------------------
    mode_bandwidth_deg: float = 1.5
    """Kernel width for the most common shank direction: about the frame-to-frame landmark jitter."""
    neutral_tolerance_deg: float = 4.0
    """A leg within 4 deg of its own neutral direction counts as resting (quiet frame)."""
    min_neutral_frames: int = 5
    """Fewer quiet frames than this and the baselines fall back to all measurable frames."""

    # --- compensation (relative to the subject's own neutral) ----------------
    pelvis_hike_ratio: float = 0.055
    """Hip height difference change, in shank lengths: ~2.5-3 cm, a visible one-sided hike."""
    trunk_lean_deg: float = 8.0
    """Sideways trunk lean change: beyond normal postural sway (a few degrees) while seated."""
    knee_drift_ratio: float = 0.10
    """Sideways knee slide that inflates the reading, in shank lengths: ~4 cm (a resting leg's
    MediaPipe knee wanders up to ~0.08 on rendered clips)."""
    compensation_smooth_s: float = 0.15
    """Posture signals are averaged (Gaussian sigma; live: time constant) before thresholding:
    compensations are slow, jitter is not (1.5 px jitter then stays below 0.35 of every threshold)."""

    # --- smoothing -----------------------------------------------------------
    smooth_sigma_s: float = 0.1
    """Offline smoother width (Gaussian sigma of a local quadratic fit): a 1.2 s hold keeps its peak."""
    smooth_min_sigma_frames: float = 1.0
    """At low frame rates the smoother still spans at least this many frames."""
    outlier_k: float = 4.0
    """Frames off the smooth curve by more than 4 robust SDs (floor below) are ignored by the smoother."""
    outlier_floor_deg: float = 1.0
    """Lower bound of that robust SD, so exact synthetic data is never treated as outliers."""
    one_euro_min_cutoff_hz: float = 0.7
    """Live filter cutoff at rest (Casiez et al. 2012): removes ~80 % of frame-to-frame jitter at 30 fps."""
    one_euro_beta: float = 0.2
    """Live filter speed coefficient (per deg/s): at 100 deg/s the cutoff is ~20 Hz, so ramps lag < 4 deg."""
    one_euro_d_cutoff_hz: float = 1.0
    """Live filter cutoff of the speed estimate (the paper's default)."""

    # --- uncertainty ---------------------------------------------------------
    uncertainty_placement_px: float = 2.7
    """Landmark placement error that no averaging removes (MediaPipe joint centres), in pixels across
    the knee-ankle line: the angle term is ``placement / shank length on screen`` (1.6 deg on a 95 px
    shank, 3.3 at 320x240). Fitted over all 30 rendered runs and variants so that 95 % of held peaks
    lie within 2 u; with the visibility and hold-wander terms 100 %, median 2.0 deg (``docs/accuracy.md``)."""
    uncertainty_floor_deg: float = 1.5
    """The placement term when the shank length on screen is unknown (no neutral yet)."""
    uncertainty_visibility_deg: float = 25.0
    """Added in quadrature, scaled by (1 - worst visibility of hip, knee, ankle): a leg seen at 0.9 adds
    2.5 deg. MediaPipe lowers the visibility of an ankle it guesses, e.g. the foot that swings behind the
    other leg (external rotation of the far leg from an oblique camera: visibility 0.87-0.93 at the hold,
    read 2.5-5 deg short on the rendered runs). Refitted over all 30 rendered runs together with the
    hold's wander (``assessment.trials.HOLD_WANDER``): 99 % of held peaks within 2 u (``docs/accuracy.md``)."""
    uncertainty_window_s: float = 1.0
    """Window for the jitter RMS (centred offline; live, an exponential average of
    half that time constant): about one held peak."""

    def __post_init__(self) -> None:
        if self.method_policy not in _POLICIES:
            raise ConfigError(
                f"Invalid method_policy {self.method_policy!r}, expecting one of {set(_POLICIES)}"
            )
        lo, hi = self.knee_flexion_range_deg
        if not 0.0 <= lo < hi <= 180.0:
            raise ConfigError(f"knee_flexion_range_deg must satisfy 0 <= low < high <= 180, but got {(lo, hi)}")
        if not 0.0 < self.max_rotation_deg <= 180.0:
            raise ConfigError(f"max_rotation_deg must be in (0, 180], but got {self.max_rotation_deg}")
        for name in ("min_visibility", "min_foot_visibility", "knee_anchor", "min_quiet_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, but got {value}")
        for name in ("medial_occlusion_deg", "medial_occlusion_max_drop"):
            if getattr(self, name) < 0.0:
                raise ConfigError(f"{name} must be >= 0, but got {getattr(self, name)}")
        for name in ("smooth_sigma_s", "compensation_smooth_s", "uncertainty_window_s", "mode_bandwidth_deg"):
            value = getattr(self, name)
            if not value > 0.0:
                raise ConfigError(f"{name} must be positive, but got {value}")
