"""``hiprom sessions reference`` and ``hiprom validate`` run as a clinic would (subprocesses, real SQLite).

The acceptance path: readings entered beside stored sessions survive into
the JSON export and the session PDF, feed ``hiprom validate``, and a CSV with
a bad row stores nothing.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hiprom.report.figures import fmt
from hiprom.store import MEASURES, Store
from hiprom.validation import FIGURE_KEYS
from terminals import on_a_terminal

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "store" / "data" / "analysis.json"


def hiprom(home: Path, *args: str, code: int = 0, tz: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data"), "COLUMNS": "200", **({"TZ": tz} if tz else {})}
    env.pop("HIPROM_DB_URL", None)
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", *args], cwd=home, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == code, proc.stderr
    return proc


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 12 subjects' sessions (figures drawn around a truth) and the truth kept beside it."""
    home = tmp_path_factory.mktemp("clinic")
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    rng = np.random.default_rng(14)
    truth = {}
    with Store(home / "data" / "hiprom.db") as store:
        for i in range(12):
            t = rng.uniform(20, 50, 4)
            a = copy.deepcopy(base)
            for (side, d), value in zip([(s, d) for s in ("left", "right") for d in ("internal", "external")],
                                        t + 2.0 + rng.normal(0, 1.5, 4)):
                a["sides"][side][f"{d}_rotation_deg"] = float(value)
            store.save_analysis(a, subject=f"C-{i:02d}", recorded_utc=f"2026-06-{i + 1:02d}T10:00:00Z")
            truth[i + 1] = t
    with (home / "refs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["session", "instrument", "rater", "left_ir", "left_er", "right_ir", "right_er"])
        for sid, t in list(truth.items())[1:]:
            w.writerow([sid, "goniometer", "B", *np.round(t + rng.normal(0, 1.5, 4), 1)])
    return home


def test_reference_readings_survive_store_export_and_pdf(clinic: Path) -> None:
    out = hiprom(clinic, "sessions", "reference", "1", "--left-ir", "32", "--right-er", "41",
                 "--instrument", "goniometer", "--rater", "A", "--json")
    made = json.loads(out.stdout)[0]
    err = hiprom(clinic, "sessions", "reference", "1", "--left-er", "3O", "--instrument", "goniometer", code=2).stderr
    assert err == ("hiprom: error: --left-er: '3O' is not a number of degrees; write it like 32 or 32.5, "
                   "or - if not measured\n")
    assert (made["session_id"], made["left_ir_deg"], made["right_er_deg"], made["left_er_deg"]) == (1, 32.0, 41.0, None)

    shown = json.loads(hiprom(clinic, "sessions", "show", "1", "--json").stdout)
    assert [r["rater"] for r in shown["references"]] == ["A"]
    exported = json.loads(hiprom(clinic, "sessions", "export", "1", "--format", "json").stdout)
    assert exported["references"][0]["right_er_deg"] == 41.0
    hiprom(clinic, "report", "1", "-o", "s1.pdf")
    text = subprocess.run(["pdftotext", "-layout", "s1.pdf", "-"], cwd=clinic, capture_output=True, text=True,
                          check=True).stdout
    row = next(line for line in text.splitlines() if line.strip().startswith("Goniometer"))
    # each reading with its side, measure and unit (pasted into a record, "32.0" alone said nothing)
    assert " ".join(row.split()[1:]) == "A L IR 32.0° L ER — R IR — R ER 41.0°"


def test_a_bad_csv_stores_nothing_and_a_good_one_everything(clinic: Path) -> None:
    good = (clinic / "refs.csv").read_text()
    lines = good.splitlines()
    bad = "\n".join([lines[0], lines[1], "3,goniometer,B,3O,,,", lines[2], "99,goniometer,B,30,,,"]) + "\n"
    (clinic / "bad.csv").write_text(bad)
    before = json.loads(hiprom(clinic, "sessions", "references", "--json").stdout)
    err = hiprom(clinic, "sessions", "reference", "--import", "bad.csv", code=2).stderr
    assert "2 bad row(s), nothing stored" in err and "row 3: left_ir_deg: '3O'" in err
    assert "row 5: no session 99" in err and "Traceback" not in err
    assert json.loads(hiprom(clinic, "sessions", "references", "--json").stdout) == before

    hiprom(clinic, "sessions", "reference", "--import", "refs.csv")
    after = json.loads(hiprom(clinic, "sessions", "references", "--json").stdout)
    assert len(after) == len(before) + len(lines) - 1


def test_a_us_goniometer_sheet_by_subject_and_date_is_imported_when_told_the_month_comes_first(
        tmp_path: Path) -> None:
    """A clinic in Chicago keeps its goniometer sheet by patient and visit day, as US Excel writes it; each
    03/05/2026 could be 3 May, so hiprom asks once rather than guess, then finds each person's session."""
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    with Store(tmp_path / "data" / "hiprom.db") as store:
        first = store.save_analysis(base, subject="US-1", recorded_utc="2026-03-05T16:00:00Z").id  # 10:00 CST
        second = store.save_analysis(base, subject="US-2", recorded_utc="2026-03-03T03:30:00Z").id  # 2 March, 21:30
    (tmp_path / "sheet.csv").write_text("Subject,Date,Instrument,L IR,R IR\n"
                                        "US-1,03/05/2026,Goniometer,32,30\nUS-2,03/02/2026,Goniometer,28,31\n")
    err = hiprom(tmp_path, "sessions", "reference", "--import", "sheet.csv", code=2, tz="America/Chicago").stderr
    assert err == ("hiprom: error: sheet.csv: date: 03/05/2026 may be 3 May or 5 March, and no date of the file has a "
                   "day past 12 to tell; say which comes first: --day-first or --month-first (2026-02-20 needs "
                   "neither)\n")
    made = json.loads(hiprom(tmp_path, "sessions", "reference", "--import", "sheet.csv", "--month-first", "--json",
                             tz="America/Chicago").stdout)
    assert [(r["session_id"], r["subject"], r["left_ir_deg"]) for r in made] == [(first, "US-1", 32.0),
                                                                                (second, "US-2", 28.0)]


def test_validate_over_stored_pairs_writes_json_and_pdf(clinic: Path) -> None:
    hiprom(clinic, "validate", "--instrument", "goniometer", "--rater", "B", "--json", "v.json", "-o", "v.pdf",
           tz="Asia/Kolkata")
    study = json.loads((clinic / "v.json").read_text())
    assert study["schema"] == "hiprom.validation/1" and study["filters"] == {"instrument": "goniometer", "rater": "B"}
    assert set(study["measures"]) == set(MEASURES)
    for figs in (*study["measures"].values(), study["pooled"]):
        assert set(FIGURE_KEYS) <= set(figs)
    assert study["pooled"]["n"] == 44 and study["n_subjects"] == 11
    # hiprom was made to read 2 deg high: the pooled bias says so
    assert study["pooled"]["bias_ci_deg"][0] < 2.0 < study["pooled"]["bias_ci_deg"][1]
    text = subprocess.run(["pdftotext", "-layout", "v.pdf", "-"], cwd=clinic, capture_output=True, text=True,
                          check=True).stdout
    assert "Agreement of hiprom with the goniometer" in text
    # the pooled row, whole on one line: the bias with its unit and its interval beside it (it pasted apart)
    low, high = study["pooled"]["bias_ci_deg"]
    row = re.search(rf"^All measures together +44 \(11\) +{study['pooled']['bias_deg']:.1f}° \[{low:.1f}, {high:.1f}\]",
                    text, re.M)
    assert row and "How many people are needed" in text, text
    assert "treat these figures as a pilot" in text
    assert re.search(r"Made +\d{4}-\d\d-\d\d \d\d:\d\d IST ", text)  # on the clinic's clock, as every time shown


def test_validate_from_a_pairs_csv_and_its_errors(clinic: Path) -> None:
    study = json.loads((clinic / "v.json").read_text())
    with (clinic / "pairs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["measure", "hiprom_deg", "reference_deg", "subject"])
        for p in study["pairs"]:
            w.writerow([p["measure"], p["a_deg"], p["b_deg"], p["subject"]])
    again = json.loads(hiprom(clinic, "validate", "--pairs", "pairs.csv", "--json", "-").stdout)
    assert again["pooled"] == pytest.approx(study["pooled"])

    (clinic / "bad-pairs.csv").write_text("measure,hiprom_deg,reference_deg\nleft_flexion,1,2\n")
    err = hiprom(clinic, "validate", "--pairs", "bad-pairs.csv", code=2).stderr
    assert err.count("\n") == 2 and "row 2: measure 'left_flexion' is unknown" in err
    assert "no such file" in hiprom(clinic, "validate", "--pairs", "nope.csv", code=2).stderr
    assert "0 re-test pairs" in hiprom(clinic, "validate", "--retest", code=4).stderr
    assert "0 pairs" in hiprom(clinic, "validate", "--rater", "nobody", code=4).stderr


def test_validate_prints_how_many_people_each_measure_comes_from(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Three goniometer readings of P3 are 5 pairs from 3 people; the table said only 'n 5'."""
    from hiprom.cli.main import main

    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "pairs.csv").write_text("measure,hiprom_deg,reference_deg,subject\nleft_internal,30,29,P1\n"
                                        "left_internal,35,33,P2\nleft_internal,40,37,P3\nleft_internal,40,38,P3\n"
                                        "left_internal,40,36,P3\n")
    assert main(["validate", "--pairs", str(tmp_path / "pairs.csv")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"hiprom against the reference: 3 people, 5 pairs of readings \(degrees\)", out)
    assert re.search(r"^ +Left +Left +Right +Right +All\n +internal +external +internal +external +measures\n", out,
                     re.M)
    assert re.search(r"^Pairs +5 +0 +", out, re.M) and re.search(r"^People +3 +— +", out, re.M)
    assert ("A pair is hiprom's reading and the reference instrument's of one measure of one person at one visit. "
            "1 person gave more than one pair of a measure (up to 3): each person counts once in every figure, "
            "however many pairs.") in " ".join(out.split())
    assert ("Under each figure its 95% confidence interval. Bias and limits of agreement: hiprom minus reference. "
            "ICC(2,1): two-way random effects, absolute agreement; ICC(3,1): two-way mixed effects, consistency; both "
            "of single readings (Shrout & Fleiss 1979). MDC95: of a change from one instrument's reading to the "
            "other's; hiprom's own is its re-test's (hiprom validate --retest). A measure needs pairs from at least 3 "
            "people") in " ".join(out.split())


def test_validate_prints_every_figure_with_its_interval_the_mdc95_too(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """'MDC95 4.9' from 11 people printed alone: how sure it is went unsaid, in the terminal for every figure."""
    from hiprom.cli.main import main

    rng = np.random.default_rng(15)
    with (tmp_path / "pairs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["measure", "hiprom_deg", "goniometer", "subject"])
        for m in MEASURES:
            for i, t in enumerate(rng.uniform(20, 50, 11)):
                w.writerow([m, round(t + 2 + rng.normal(0, 1.5), 1), round(t + rng.normal(0, 1.5)), f"C-{i:02d}"])
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["validate", "--pairs", str(tmp_path / "pairs.csv"), "--json", str(tmp_path / "figures.json")]) == 0
    out = capsys.readouterr().out
    study = json.loads((tmp_path / "figures.json").read_text())
    rows = out.splitlines()
    for name, key, digits in (("SEM", "sem", 1), ("MDC95", "mdc95", 1), ("ICC(2,1)", "icc_2_1", 2),
                              ("Bias", "bias", 1)):
        figs = [*study["measures"].values(), study["pooled"]]
        at = next(i for i, row in enumerate(rows) if row.startswith(name + " "))
        suffix = "" if digits == 2 else "_deg"
        assert _cells(rows[at])[1:] == [fmt(f[key + suffix], digits) for f in figs]
        assert _cells(rows[at + 1]) == ["95% CI", *(
            f"{fmt(f[key + '_ci' + suffix][0], digits)}, {fmt(f[key + '_ci' + suffix][1], digits)}" for f in figs)]
    assert "nan" not in out.lower()


def _cells(row: str) -> list[str]:
    """The cells of a row of the terminal's table (two spaces or more between columns)."""
    return re.split(r" {2,}", row.strip())


def test_validate_fits_an_80_column_terminal_with_every_interval_whole(clinic: Path) -> None:
    """At 80 columns Rich broke intervals across lines ("[−27.3," over "−14.6]") in the limits of agreement:
    the table needed 94 columns. Every line fits now, and every interval is on one line, beneath its figure."""
    lines = on_a_terminal(clinic, "validate", columns=80)
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    at = next(i for i, line in enumerate(lines) if line.startswith("LoA low "))
    figures = [float(c.replace("−", "-")) for c in _cells(lines[at])[1:]]
    label, *cells = _cells(lines[at + 1])
    intervals = [[float(x.replace("−", "-")) for x in c.split(", ")] for c in cells]
    assert label == "95% CI"
    assert len(figures) == len(intervals) == 5 and all(low < f < high for f, (low, high) in zip(figures, intervals))
    assert not any(line.rstrip().endswith(",") for line in lines)


def test_a_subject_not_stored_is_said_unknown_not_as_too_few_pairs(clinic: Path) -> None:
    """'--subject C-99', whom the store does not know, ended "0 pairs of hiprom and reference readings found
    ... (add reference readings ...)", exit 4, as if the readings were missing; and 'sessions references
    --subject 4', the number every other command takes, listed no readings at all. 'c-03' is C-03."""
    err = hiprom(clinic, "validate", "--subject", "C-99", code=5).stderr
    assert err == f"hiprom: error: no subject 'C-99' in {clinic / 'data' / 'hiprom.db'}; see 'hiprom subjects list'\n"
    assert hiprom(clinic, "validate", "--subject", "c-03", code=4).stderr == hiprom(
        clinic, "validate", "--subject", "C-03", code=4).stderr
    listed = json.loads(hiprom(clinic, "sessions", "references", "--subject", "4", "--json").stdout)
    assert {r["subject"] for r in listed} == {"C-03"}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["validate", "--since", "05.11.2026"], "'05.11.2026' is not a day written YYYY-MM-DD; write it like 2026-03-31"),
        (["validate", "--until", "2026-02-30"], "'2026-02-30' is not a day of the calendar; write it YYYY-MM-DD"),
        (["sessions", "references", "--since", "11/05/2026"], "'11/05/2026' is not a day written YYYY-MM-DD"),
    ],
)
def test_a_day_typed_as_a_clinic_writes_it_is_refused_with_an_example(args: list[str], said: str,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """The refusal said "does not match the format '%Y-%m-%d'", a programmer's pattern, not a clinic's words."""
    from hiprom.cli.main import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert said in err and "%Y" not in err and "Traceback" not in err


HEAD = "measure,hiprom_deg,reference_deg,subject\n"
FEW = HEAD + "left_internal,30,29,P1\nleft_internal,35,33,P2\n"
TWO_PEOPLE = FEW + "left_internal,40,37,P2\n"
THREE_PEOPLE = FEW + "left_internal,40,37,P3\n"
ALL_EQUAL = HEAD + "".join(f"left_internal,30,30,P{i}\n" for i in range(4))
SHIFTED = HEAD + "".join(f"left_internal,30,29,P{i}\n" for i in range(4))
HIPROM_MISSING = THREE_PEOPLE + "left_internal,28,28,P4\nright_internal,,30,P1\nright_internal,NA,33,P2\n" \
                                "right_internal,33,32,P3\nright_internal,-,35,P4\n"
LEFT_ONLY = ("Patient,Visit date,hiprom L IR,Goniometer L IR,hiprom L ER,Goniometer L ER\n"
             "P1,2026-03-01,31,30,40,41\nP2,2026-03-01,36,33,38,35\nP3,2026-03-02,41,40,45,44\n"
             "P4,2026-03-02,29,28,,33\n")


@pytest.mark.parametrize(
    ("sheet", "code", "said"),
    [
        (FEW, 4, ["hiprom: error: 2 pairs of hiprom and reference readings found; at least 3 are needed"]),
        (TWO_PEOPLE, 4, ["3 pairs of hiprom and reference readings from 2 subjects found; at least 3 subjects"]),
        (THREE_PEOPLE, 0, ["SEM 1.5 — — — 1.5 95% CI 0.7, 4.8 0.7, 4.8", "MDC95 4.2 — — — 4.2 95% CI 1.9, 13.4"]),
        (ALL_EQUAL, 0, ["Left internal rotation: every pair differed by exactly 0.0°, so there is no spread to put an "
                        "interval on; more people are needed; no ICC: the readings do not differ from one person "
                        "to another"]),
        (SHIFTED, 0, ["every pair differed by exactly 1.0°", "no ICC"]),
        (HIPROM_MISSING, 0, ["Right internal rotation: 1 pair: at least 3 are needed for any figure.",
                             "3 rows of the file have hiprom's or the reference instrument's reading blank or marked "
                             "not measured (row 6, right internal rotation; row 7, right internal rotation; row 9, "
                             "right internal rotation): they are left out."]),
        (LEFT_ONLY, 0, ["hiprom against the goniometer: 4 people, 7 pairs of readings",
                        "1 row of the file has hiprom's or the goniometer's reading blank"]),
    ],
    ids=["2 pairs", "2 people", "3 people", "all equal", "all 1 apart", "hiprom missing", "left only"],
)
def test_a_small_or_odd_sheet_gives_one_line_or_figures_with_honest_intervals(
        sheet: str, code: int, said: list[str], tmp_path: Path, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Four people read 30° by both: '0.0 [0.0, 0.0]' claimed a certainty four people cannot give, and the
    same four 1° apart read 'ICC(2,1) 0.00' as if hiprom disagreed; never a traceback or a NaN."""
    from hiprom.cli.main import main

    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "sheet.csv").write_text(sheet, encoding="utf-8")
    assert main(["validate", "--pairs", str(tmp_path / "sheet.csv"), "--json", str(tmp_path / "v.json")]) == code
    out, err = capsys.readouterr()
    shown = " ".join((out + err).split())
    for words in said:
        assert " ".join(words.split()) in shown
    assert "Traceback" not in err and "nan" not in shown.lower()
    if code:
        assert err.count("\n") == 1 and not (tmp_path / "v.json").exists()
        return
    text = (tmp_path / "v.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    for figs in json.loads(text)["measures"].values():
        for key in ("bias_ci_deg", "loa_low_ci_deg", "sem_ci_deg", "mdc95_ci_deg", "icc_2_1_ci"):
            low, high = figs.get(key) or (None, None)
            assert (low is None) == (high is None) and (low is None or low < high), (key, figs)
