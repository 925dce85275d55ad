"""What the guided test keeps of each step: its attempts and the figure it shows.

Plain records of :class:`hiprom.live.guide.Guide`; ``as_dict`` gives the forms
the page reads in the guide's ``state()`` (``steps``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_SHORT = {"internal": "IR", "external": "ER"}


@dataclass
class TrialRecord:
    """One attempt at a step: the held angle (a positive magnitude) and whether it counts;
    for one that does not, why (``reason``) and what to do about it (``advice``, what the page says);
    ``seq``, the guide's ``trial_seq`` when it closed (the page says each verdict it has not said yet)."""

    peak_deg: float
    valid: bool
    reason: str = ""
    t_s: float = 0.0
    advice: str = ""
    seq: int = 0

    def as_dict(self) -> dict:
        return {"peak_deg": round(self.peak_deg, 1), "valid": self.valid, "reason": self.reason,
                "advice": self.advice, "t_s": round(self.t_s, 2), "seq": self.seq}


@dataclass
class StepRecord:
    """One step of the test (a side and direction): its attempts, and the figure it ends with."""

    side: str
    direction: str
    trials: list[TrialRecord] = field(default_factory=list)
    done: bool = False
    note: str = ""
    analysed: bool = False
    """The finished test's analysis has given this step's figure (``final_deg``)."""
    final_deg: float | None = None

    @property
    def label(self) -> str:
        return f"{self.side.capitalize()} {self.direction} rotation"

    @property
    def valid_peaks(self) -> list[float]:
        return [t.peak_deg for t in self.trials if t.valid]

    def stable_pair(self, within_deg: float) -> tuple[float, float] | None:
        """The two valid peaks closest to each other, if they agree within ``within_deg``."""
        peaks = sorted(self.valid_peaks)
        best: tuple[float, float] | None = None
        for a, b in zip(peaks, peaks[1:]):
            if b - a <= within_deg and (best is None or b - a < best[1] - best[0]):
                best = (a, b)
        return best

    @property
    def value_deg(self) -> float | None:
        """The analysis's figure once the test is analysed; before that the best trial seen so far.

        The trials seen during the test are measured on a window of the frames
        (each look must stay cheap), the analysis on all of them; the smoother's
        outlier scale is a statistic of the whole series, so the two can differ
        by a tenth of a degree. The finished test shows the analysis's figure.
        """
        if self.analysed:
            return self.final_deg
        peaks = self.valid_peaks
        return max(peaks) if peaks else None

    def as_dict(self) -> dict:
        value = self.value_deg
        return {
            "side": self.side,
            "direction": self.direction,
            "label": self.label,
            "short": f"{self.side[0].upper()} {_SHORT[self.direction]}",
            "trials": [t.as_dict() for t in self.trials],
            "done": self.done,
            "value_deg": None if value is None else round(value, 1),
            "note": self.note,
        }
