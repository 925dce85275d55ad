"""``hiprom subjects``, ``hiprom sessions`` and ``hiprom report`` run as a user would (subprocesses).

Each command runs in its own process with ``HIPROM_DATA_DIR`` pointing at a
temporary folder, so the default store location is exercised too.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hiprom.rounding import shown
from hiprom.report.rows import SIDE_MARKS
from hiprom.store.records import local_time

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"
NAME = 'Dana "DJ" O\'Neil <script>alert(1)</script> 😀 שלום'
MEASURES = {"internal_rotation": "Internal rotation", "external_rotation": "External rotation",
            "total_arc": "Total arc (IR + ER)"}
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hiprom(home: Path, *args: str, check: bool = True, tmp: Path | None = None,
           tz: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data"), "COLUMNS": "250"}
    if tz is not None:
        env["TZ"] = tz
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    env.pop("HIPROM_DB_URL", None)
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", *args], cwd=home, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def fmt(value, signed: bool = False) -> str:
    """A figure as a person reads it in the CLI and the PDF: "−9.2" with the minus sign (the CSV keeps "-9.2")."""
    return "—" if value is None else shown(value, signed=signed)


def csv_number(value) -> str:
    return f"{round(value, 1):.1f}"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an analysis file and a store holding one session of subject P-1."""
    from hiprom.pipeline import analyze_path

    home = tmp_path_factory.mktemp("clinic")
    _, analysis = analyze_path(SAMPLE)
    (home / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    hiprom(home, "subjects", "add", "P-1", "--name", NAME, "--dob", "1984-05-17", "--notes", "شكرا <b>x</b>")
    saved = hiprom(home, "sessions", "add", "analysis.json", "--subject", "P-1", "--operator", "J. Smith",
                   "--json")
    assert json.loads(saved.stdout)["id"] == 1
    assert (home / "data" / "hiprom.db").is_file()
    return home


def test_list_and_show(home: Path) -> None:
    analysis = json.loads((home / "analysis.json").read_text(encoding="utf-8"))
    sessions = json.loads(hiprom(home, "sessions", "list", "--json").stdout)
    assert [s["id"] for s in sessions] == [1] and sessions[0]["subject"] == "P-1"
    assert sessions[0]["n_trials"] == len(analysis["trials"])
    table = hiprom(home, "sessions", "list").stdout
    assert "P-1" in table and fmt(analysis["sides"]["left"]["internal_rotation_deg"]) in table
    # The demo's IR and total arc cannot be told apart from 10 degrees: the list says so, not nothing.
    assert analysis["asymmetry"]["verdicts"]["total_arc"] == "inconclusive"
    assert sessions[0]["asymmetry_verdict"] == "inconclusive" and "cannot tell" in table
    subjects = json.loads(hiprom(home, "subjects", "list", "--json").stdout)
    assert subjects[0]["name"] == NAME and subjects[0]["n_sessions"] == 1
    assert subjects[0]["last_session_utc"] == sessions[0]["recorded_utc"]
    listed = hiprom(home, "subjects", "list").stdout  # the day of the last session, beside how many
    assert "last session" in listed and local_time(sessions[0]["recorded_utc"]).date().isoformat() in listed, listed

    shown = json.loads(hiprom(home, "sessions", "show", "1", "--json").stdout)
    assert shown["subject"]["name"] == NAME and shown["operator"] == "J. Smith"
    assert shown["analysis"]["sides"] == analysis["sides"]
    text = hiprom(home, "sessions", "show", "1").stdout
    assert NAME in text  # printed as typed: no markup, no escaping
    arc_row = next(line for line in text.splitlines() if line.startswith("Total arc") and "cannot tell" in line)
    assert fmt(analysis["asymmetry"]["total_arc_deg"], signed=True) in arc_row and "? cannot tell" in arc_row
    # Said once for both undecided measures, as the PDF says it (not once a measure).
    assert "Cannot tell whether the sides differ by more than 10° in internal rotation (" in " ".join(text.split())
    assert "Total arc: cannot tell" not in text
    assert "not flagged" not in text
    subject = hiprom(home, "subjects", "show", "P-1").stdout
    assert NAME in subject and "شكرا <b>x</b>" in subject


def test_a_session_whose_sides_were_not_compared_says_so_in_the_list(tmp_path: Path) -> None:
    """A blank asymmetry cell reads as "within"; a test with one side not measured is "not compared"."""
    from hiprom.synthetic import Trial, protocol, seated_recording

    _, rot = protocol([Trial("right", "internal", 38.0), Trial("right", "external", 45.0)], lead_s=3.0)
    seated_recording(rot, image_noise_px=0.6, seed=4).save(tmp_path / "right.landmarks.npz")
    analyzed = hiprom(tmp_path, "analyze", str(tmp_path / "right.landmarks.npz"), "--save", "--subject", "P-1").stdout
    listed = hiprom(tmp_path, "sessions", "list").stdout
    row = next(line for line in listed.splitlines() if "P-1" in line)
    assert "not compared" in row
    # Its details say why the left has no figures, as 'hiprom analyze' and the PDF do with the
    # analysis's quality notes (the session showed dashes and nothing else).
    shown = hiprom(tmp_path, "sessions", "show", "1").stdout
    assert "note: Left leg: no trial found (no turn of the foot was seen)." in shown
    # 'analyze' printed the tables without the sentences 'sessions show' gives under them: both do now.
    said = [f"{name}: cannot compare the sides, one of them was not measured."
            for name in ("Internal rotation", "External rotation", "Total arc")]
    for text in (analyzed, shown):
        assert [line for line in text.splitlines() if "cannot compare" in line] == said


@pytest.mark.parametrize(("reason", "sides"), [
    ("neither leg could be measured: left leg out of the picture; right leg out of the picture",
     ("left leg out of the picture", "right leg out of the picture")),
    ("no person found in any frame", ("no person found in any frame",) * 2),
])
def test_an_unmeasurable_session_says_why_once(tmp_path: Path, reason: str, sides: tuple[str, str]) -> None:
    """'sessions show' of a video with no legs in it said why three times (four with one reason for both
    sides): in the summary, a "... side not measurable" line per side and a note. Now once, in the summary,
    with what to do next time."""
    from hiprom.assessment.result import not_measurable
    from hiprom.store import Store

    analysis = not_measurable(reason, source="face.mp4")  # as the kernel gives it, each side with its own reason
    for side, why in zip(("left", "right"), sides):
        analysis["sides"][side]["not_measurable"] = why
    (tmp_path / "data").mkdir()
    with Store(tmp_path / "data" / "hiprom.db") as store:
        store.save_analysis(analysis, subject="P-1")
    text = hiprom(tmp_path, "sessions", "show", "1").stdout
    assert f"Not measurable: {reason}." in text
    for why in {reason, *sides}:
        assert " ".join(text.split()).lower().count(why) == 1, text
    assert "Next time: " in text  # what to film differently


def test_sessions_show_written_to_a_file_has_no_trailing_spaces(home: Path) -> None:
    """Written to a file, every line of 'sessions show' was padded with spaces to the width of its longest
    cell (the summary's, 200 columns): the details table's, and each table's last column."""
    text = hiprom(home, "sessions", "show", "1").stdout
    padded = [line for line in text.splitlines() if line != line.rstrip()]
    assert not padded, padded
    assert "Total arc (IR + ER)" in text and "│" in text  # the tables are there, lines kept whole


def test_times_are_read_on_the_clinics_clock_in_every_output(tmp_path: Path) -> None:
    """A test at 10:30 in Sydney was listed as 23:30 the day before (UTC), beside a visit that the
    re-test logic counts on the clinic's day: the CLI tables, the CSV and the PDF now all show the
    clinic's date and time, and the CSV and JSON keep the exact instant in UTC."""
    analysis = json.loads((REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8"))
    for i, utc in enumerate(("2026-03-01T23:30:00Z", "2026-03-02T00:10:00Z")):  # 10:30 and 11:10 AEDT
        (tmp_path / f"a{i}.json").write_text(json.dumps({**analysis, "created_utc": utc}), encoding="utf-8")
        hiprom(tmp_path, "sessions", "add", f"a{i}.json", "--subject", "P-1")
    sydney = functools.partial(hiprom, tmp_path, tz="Australia/Sydney")
    sydney("sessions", "reference", "2", "--instrument", "goniometer", "--left-ir", "30")

    listed = sydney("sessions", "list").stdout
    assert "2026-03-02 10:30 AEDT" in listed and "2026-03-02 11:10 AEDT" in listed and "UTC" not in listed
    visits = sydney("trend", "P-1").stdout  # one visit day, as the re-test baseline sees it
    assert [line.split("│")[1].strip() for line in visits.splitlines() if "│" in line] == ["2026-03-02"] * 2
    shown = sydney("sessions", "show", "2").stdout
    assert "2026-03-02 11:10 AEDT" in shown  # "assessed", and the reference reading's day
    assert [line for line in shown.splitlines() if "goniometer" in line and "2026-03-02" in line]
    summary = next(csv.DictReader(io.StringIO(sydney("sessions", "export", "2", "--format", "csv").stdout)))
    assert (summary["local_date"], summary["recorded_utc"]) == ("2026-03-02", "2026-03-02T00:10:00Z")
    exported = json.loads(sydney("sessions", "export", "2", "--format", "json").stdout)
    assert exported["session"]["recorded_utc"] == "2026-03-02T00:10:00Z"

    if shutil.which("pdftotext") and importlib.util.find_spec("weasyprint"):
        sydney("report", "2", "-o", "r.pdf")
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "P-1 · session #2 · 2026-03-02" in text
        assert "Assessed 2026-03-02 11:10 AEDT" in " ".join(text.split())
        assert "Before: 2026-03-02 10:30 AEDT." in " ".join(text.split())  # the re-test's earlier test
        assert re.search(r"2026-03-02 +#1 ", text) and re.search(r"2026-03-02 +#2 ", text)  # the history table, by day
        assert "P-1 · 2026-03-02" in text  # the home program's page
        assert "2026-03-01" not in text and re.search(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d AE[DS]T", text)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_a_percentage_reads_the_same_in_the_pdf_the_cli_and_the_csv(home: Path) -> None:
    """The page wrote "13.5%", the PDF and 'sessions show' "13.5 %" (a space a line could break at, and
    the PDF's "Measurable frames: left 100 %"): every output now closes it up as the page and the notes do."""
    pytest.importorskip("weasyprint")
    analysis = json.loads((home / "analysis.json").read_text(encoding="utf-8"))
    pcts = [analysis["asymmetry"][f"{m}_pct"] for m in MEASURES] + [
        analysis["sides"][side][f"{m}_pct_norm"] for side in ("left", "right") for m in MEASURES]
    wanted = [f"{fmt(p)}%" for p in pcts]  # "13.5%", as hiprom.rounding.percent and the page's percent() write it
    hiprom(home, "report", "1", "-o", "pct/report.pdf", "--csv", "pct/r")
    pdf = subprocess.run(["pdftotext", "-layout", str(home / "pct" / "report.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    cli = hiprom(home, "sessions", "show", "1").stdout
    for text in (pdf, cli):
        assert not re.search(r"\d %", text), re.findall(r".{20}\d %", text)
        for words in wanted:
            assert re.search(rf"(^|\s){re.escape(words)}(\s|$)", text, re.M), words
    assert "Measurable frames: left 100%, right 100%." in pdf
    summary = next(csv.DictReader(io.StringIO((home / "pct" / "r.summary.csv").read_text(encoding="utf-8-sig"))))
    assert [summary[f"asymmetry_{m}_pct"] for m in MEASURES] == [csv_number(p) for p in pcts[:3]]  # numbers


def test_export_json_and_csv(home: Path) -> None:
    analysis = json.loads((home / "analysis.json").read_text(encoding="utf-8"))
    hiprom(home, "sessions", "export", "1", "--format", "json", "-o", "out/s1.json")
    exported = json.loads((home / "out" / "s1.json").read_text(encoding="utf-8"))
    assert exported["subject"]["name"] == NAME and exported["analysis"]["trials"] == analysis["trials"]
    hiprom(home, "sessions", "export", "1", "--format", "csv", "-o", "out/s1")
    files = sorted(p.name for p in (home / "out").glob("s1.*.csv"))
    assert files == ["s1.exercises.csv", "s1.series.csv", "s1.summary.csv", "s1.trials.csv"]
    summary = list(csv.DictReader(io.StringIO((home / "out" / "s1.summary.csv").read_text(encoding="utf-8-sig"))))
    assert summary[0]["left_total_arc_deg"] == csv_number(analysis["sides"]["left"]["total_arc_deg"])
    series = (home / "out" / "s1.series.csv").read_text(encoding="utf-8").splitlines()
    assert len(series) == len(analysis["series"]["t_s"]) + 1
    stdout = hiprom(home, "sessions", "export", "1", "--format", "csv", "--table", "trials").stdout
    assert len(stdout.strip().splitlines()) == len(analysis["trials"]) + 1


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_report_pdf_has_the_exported_figures_and_renders(home: Path) -> None:
    pytest.importorskip("weasyprint")
    out = hiprom(home, "report", "1", "-o", "out/report.pdf", "--json", "out/report.json", "--csv", "out/r").stdout
    assert "out/report.pdf" in out and "out/r.summary.csv" in out
    pdf = home / "out" / "report.pdf"
    summary = json.loads((home / "out" / "report.json").read_text(encoding="utf-8"))["summary"]
    text = BIDI.sub("", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                       text=True, check=True).stdout)
    rows = {label: [line.split(label, 1)[1].split() for line in text.splitlines()
                    if line.strip().startswith(label)] for label in MEASURES.values()}
    for measure, label in MEASURES.items():
        figures, asym = " ".join(rows[label][0]), " ".join(rows[label][1])
        for side, mark in SIDE_MARKS.items():  # "L 32.8° ± 1.8° 73.0% of 45°": each figure with its side and unit
            s = summary["sides"][side]
            assert (f"{mark} {fmt(s[f'{measure}_deg'])}° ± {fmt(s[f'{measure}_unc_deg'])}° "
                    f"{fmt(s[f'{measure}_pct_norm'])}% of ") in figures, figures
        # the signed difference as the page writes it ("−9.2°", "+0.4°"), after the sides it is of
        assert asym.startswith(f"L − R {fmt(summary['asymmetry'][f'{measure}_deg'], signed=True)}°"), asym
    analysis = json.loads((home / "analysis.json").read_text(encoding="utf-8"))  # 'sessions show' says the same
    recording = f"{analysis['frames']} frames at {fmt(analysis['fps'])} fps, {fmt(analysis['duration_s'])} s"
    assert re.search(r"Recording\s+" + re.escape(recording) + r"(\s|$)", text)
    reading = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", BIDI.sub("", reading))
    assert re.sub(r"\s+", "", NAME.replace("שלום", "")) in flat and "שלום" in flat

    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(home / "out" / "page")], check=True)
    pages = sorted((home / "out").glob("page-*.png"))
    assert 1 <= len(pages) <= 4  # three at most (10 pt type), and the home program page
    # The charts are drawn (on page 1 or, after a long header, whole on page 2).
    shares = []
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("RGB")).astype(int)
        shares.append([(np.abs(pixels - colour).max(axis=2) < 30).mean() for colour in ([31, 95, 168], [217, 72, 15])])
    assert any(blue > 0.003 and orange > 0.003 for blue, orange in shares)


def test_pdfs_leave_nothing_in_the_temporary_folder(home: Path) -> None:
    """WeasyPrint copied the report's emoji font (11 MB) into a new temporary folder that it removed
    only at garbage collection, which a command's exit skips: every report left one behind."""
    pytest.importorskip("weasyprint")
    tmp = home / "tmp"
    tmp.mkdir()
    hiprom(home, "report", "1", "-o", "out/clean.pdf", tmp=tmp)
    hiprom(home, "program", "pdf", "1", "-o", "out/program.pdf", tmp=tmp)
    assert (home / "out" / "clean.pdf").stat().st_size > 10_000
    assert (home / "out" / "program.pdf").stat().st_size > 5_000
    assert sorted(p.name for p in tmp.iterdir()) == []


def test_report_of_an_analysis_file(home: Path) -> None:
    pytest.importorskip("weasyprint")
    out = hiprom(home, "report", "analysis.json", "--no-pdf", "--json", "file.json").stdout
    assert "file.json" in out
    exported = json.loads((home / "file.json").read_text(encoding="utf-8"))
    assert exported["session"] is None and exported["subject"] is None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sessions", "show", "99"], 5, "no session '99'"),
        (["sessions", "export", "1", "42"], 5, "no session '42'"),
        (["subjects", "show", "nobody"], 5, "no subject 'nobody'"),
        (["report", "nope"], 2, "neither a session number nor an analysis JSON file"),
        (["report", "77"], 5, "no session '77'"),
        (["sessions", "delete", "1"], 2, "needs --yes"),
        (["subjects", "add", "P-1"], 5, "already exists"),
        (["subjects", "add", "P-2", "--dob", "17/05/1984"], 2, "use YYYY-MM-DD"),
        (["sessions", "add", "missing.json"], 2, "no such file"),
        (["report", "1", "--snapshot", "middle=x.png", "--no-pdf"], 2, "SIDE=PNG_FILE"),
        # Issue 12, item 5: digits that are not ASCII are not numbers (they were tracebacks).
        (["subjects", "show", "¹²³"], 5, "no subject '¹²³'"),
        (["sessions", "show", "¹²³"], 5, "no session '¹²³'"),
        (["sessions", "list", "--subject", "¹²³"], 5, "no subject '¹²³'"),
        (["sessions", "delete", "#¹²³", "--yes"], 5, "no session '#¹²³'"),
        (["report", "¹²³"], 2, "neither a session number nor an analysis JSON file"),
        (["serve", "--source", "¹²³"], 2, "¹²³"),
        (["track", "¹²³", "-o", "x.landmarks.npz"], 2, "¹²³"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(home: Path, args: list[str], code: int, message: str) -> None:
    proc = hiprom(home, *args, check=False)
    assert proc.returncode == code
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hiprom: error:") and message in lines[0], proc.stderr


def test_delete_with_yes(home: Path) -> None:
    hiprom(home, "sessions", "add", "analysis.json", "--subject", "P-del")
    sessions = json.loads(hiprom(home, "sessions", "list", "--subject", "P-del", "--json").stdout)
    assert len(sessions) == 1
    hiprom(home, "sessions", "delete", str(sessions[0]["id"]), "--yes")
    assert json.loads(hiprom(home, "sessions", "list", "--subject", "P-del", "--json").stdout) == []
    assert "Deleted subject P-del and 0 sessions, with their readings" in hiprom(home, "subjects", "delete", "P-del", "--yes").stdout  # not "0 session(s)"
    assert hiprom(home, "subjects", "show", "P-del", check=False).returncode == 5


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_landmarks_kept_with_a_session_give_peak_pictures(home: Path) -> None:
    pytest.importorskip("weasyprint")
    saved = json.loads(hiprom(home, "sessions", "add", "analysis.json", "--subject", "P-lm", "--landmarks",
                              str(SAMPLE), "--json").stdout)
    assert saved["has_landmarks"] is True
    hiprom(home, "report", str(saved["id"]), "-o", "lm.pdf", "--landmarks", str(SAMPLE))
    text = subprocess.run(["pdftotext", str(home / "lm.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Peak positions" in text
    missing = hiprom(home, "report", "1", "--video", str(SAMPLE), check=False)
    assert missing.returncode == 2 and "needs the landmarks" in missing.stderr


def test_report_of_a_malformed_stored_analysis_is_one_line(home: Path) -> None:
    """Issue 12, item 3: a session stored before the schema check gave an AttributeError traceback."""
    saved = json.loads(hiprom(home, "sessions", "add", "analysis.json", "--subject", "P-bad", "--json").stdout)
    with sqlite3.connect(home / "data" / "hiprom.db") as db:
        db.execute("UPDATE sessions SET analysis_json = json_set(analysis_json, '$.quality', 'x') WHERE id = ?",
                   (saved["id"],))
    proc = hiprom(home, "report", str(saved["id"]), "-o", "bad.pdf", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"hiprom: error: session {saved['id']}: quality: must be a JSON object "
                                   "(got 'x')"), proc.stderr
    assert not (home / "bad.pdf").exists()
    hiprom(home, "subjects", "delete", "P-bad", "--yes")


@pytest.mark.parametrize("how", ["--db", "HIPROM_DB_URL"])
@pytest.mark.parametrize(
    "args",
    [["subjects", "list"], ["subjects", "add", "P-9"], ["sessions", "list"], ["sessions", "add", "analysis.json"],
     ["analyze", str(SAMPLE), "--save"], ["report", "1"], ["validate"], ["backup", "copy.db"],
     ["serve", "--source", "demo"]],
    ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else a,
)
def test_a_mistyped_store_is_refused_not_created(home: Path, tmp_path: Path, args: list[str], how: str) -> None:
    typo = tmp_path / "clinic" / "hiprom.dbb"
    env_args = ([*args, "--db", str(typo)], {}) if how == "--db" else (args, {"HIPROM_DB_URL": str(typo)})
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", *env_args[0]], cwd=home, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HIPROM_DATA_DIR": str(home / "data"),
                                                       **env_args[1]})
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.strip() == (f"hiprom: error: no records store at {typo}; check the name (--db or "
                                   f"HIPROM_DB_URL), or create one there with 'hiprom store init {typo}'")
    assert not typo.parent.exists()


def test_store_init_creates_a_named_store_once(tmp_path: Path) -> None:
    db = tmp_path / "clinic" / "records.db"
    made = hiprom(tmp_path, "store", "init", str(db))
    assert made.stdout.strip() == f"Created an empty records store at {db}" and db.is_file()
    hiprom(tmp_path, "subjects", "add", "P-1", "--db", str(db))
    again = hiprom(tmp_path, "store", "init", str(db))
    assert "is a records store already (0 sessions); nothing changed" in again.stdout
    assert json.loads(hiprom(tmp_path, "subjects", "list", "--db", str(db), "--json").stdout)[0]["pseudonym"] == "P-1"


def test_the_sessions_table_shows_the_newest_fifty_and_says_how_many_more(tmp_path: Path) -> None:
    """A clinic's years of sessions printed as one table took a minute and filled the terminal
    (20 000 rows, 72 s): the table now shows the newest 50 and says how to see the rest; --all
    (and --json) still give every one."""
    from hiprom.store import Store

    analysis = json.loads((REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8"))
    with Store(tmp_path / "data" / "hiprom.db") as store:
        for day in range(1, 54):
            store.save_analysis(analysis, subject="P-1" if day % 2 else "P-2",
                                recorded_utc=f"2026-01-{day % 28 + 1:02d}T{day % 24:02d}:00:00Z")
    rows = lambda out: [line for line in out.splitlines() if re.search(r"P-[12]\b", line)]  # noqa: E731
    shown = hiprom(tmp_path, "sessions", "list").stdout
    assert len(rows(shown)) == 50
    assert "The newest 50 of 53 sessions; --limit N for more, --all for every one" in shown
    assert len(rows(hiprom(tmp_path, "sessions", "list", "--all").stdout)) == 53
    few = hiprom(tmp_path, "sessions", "list", "--subject", "P-2", "--limit", "5").stdout
    assert len(rows(few)) == 5 and "The newest 5 of 26 sessions" in few
    both = hiprom(tmp_path, "sessions", "list", "--all", "--limit", "5", check=False)
    assert both.returncode == 2 and both.stderr.strip() == "hiprom: error: give --limit N or --all, not both"


def test_the_subjects_table_shows_fifty_and_finds_one_by_pseudonym_or_name(tmp_path: Path) -> None:
    """A clinic's 2 061 subjects filled the terminal (3.7 s): the table shows the first 50 by
    pseudonym and says how to see more or find one; --find matches pseudonym or name, any case or accent."""
    from hiprom.store import Store

    with Store(tmp_path / "data" / "hiprom.db") as store:
        for i in range(1, 56):
            store.add_subject(f"P-{i:03d}", name={42: "Ann O'Neil", 7: "Élise Öz"}.get(i, f"Person {i}"))
        store.add_subject("Q_1%", name="Literal")
    rows = lambda out: re.findall(r"\b(P-\d{3}|Q_1%)", out)  # noqa: E731
    shown = hiprom(tmp_path, "subjects", "list").stdout
    assert rows(shown) == [f"P-{i:03d}" for i in range(1, 51)]
    assert "The first 50 of 56 subjects by pseudonym; --limit N for more, --all for every one, --find TEXT" in shown
    assert len(rows(hiprom(tmp_path, "subjects", "list", "--all").stdout)) == 56
    assert rows(hiprom(tmp_path, "subjects", "list", "--find", "o'neil").stdout) == ["P-042"]
    assert rows(hiprom(tmp_path, "subjects", "list", "--find", "_1%").stdout) == ["Q_1%"]  # not wildcards
    # Whom to call back: none tested yet, so by the last session they come by pseudonym, and it says the order.
    by_last = hiprom(tmp_path, "subjects", "list", "--by", "last").stdout
    assert rows(by_last)[:2] == ["P-001", "P-002"] and "subjects by the last session; --limit N" in by_last
    assert rows(hiprom(tmp_path, "subjects", "list", "--find", "élise ÖZ").stdout) == ["P-007"]  # was none
    assert rows(hiprom(tmp_path, "subjects", "list", "--find", "elise oz").stdout) == ["P-007"]
    found = hiprom(tmp_path, "subjects", "list", "--find", "p-00", "--limit", "3").stdout
    assert rows(found) == ["P-001", "P-002", "P-003"] and "The first 3 of 9 subjects by pseudonym" in found
    none = hiprom(tmp_path, "subjects", "list", "--find", "Smith").stdout
    assert "No subject's pseudonym or name contains 'Smith'" in none


def test_a_recording_analysed_on_a_later_day_is_dated_by_recorded(tmp_path: Path) -> None:
    """Two visits a month apart, filmed and analysed together: both were dated the day of the analysis,
    so the second was reported as a same-day re-test of the first and paired for the clinic's MDC.
    ``--recorded`` dates each by its own day, on the clinic's clock (here a DST change apart)."""
    analysis = (REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8")
    (tmp_path / "a.json").write_text(analysis, encoding="utf-8")
    ny = functools.partial(hiprom, tmp_path, tz="America/New_York")
    ny("sessions", "add", "a.json", "--subject", "P-1", "--recorded", "2026-02-20 10:30")
    ny("sessions", "add", "a.json", "--subject", "P-1", "--recorded", "2026-03-20")
    listed = ny("sessions", "list").stdout
    assert "2026-02-20 10:30 EST" in listed and "2026-03-20 12:00 EDT" in listed
    assert "no earlier test the same day" in ny("retest", "2", check=False).stderr  # two visits, no re-test
    refused = ny("sessions", "add", "a.json", "--subject", "P-1", "--recorded", "2999-01-01", check=False)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "2999-01-01 12:00 EST is later than now on this computer's clock" in refused.stderr


@pytest.mark.parametrize(("typed", "utc"), [("2026-02-20 10:30", "2026-02-20T15:30:00Z"),
                                            ("2026-03-20", "2026-03-20T16:00:00Z"),  # midday, after DST began
                                            ("2026-03-20T09:00:00Z", "2026-03-20T09:00:00Z")])
def test_a_visit_time_is_read_on_the_clinics_clock(typed: str, utc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from hiprom.store.records import iso_utc, parse_visit_time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert iso_utc(parse_visit_time(typed)) == utc
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_visit_time_that_is_no_time_says_how_to_write_one() -> None:
    from hiprom.errors import InputError
    from hiprom.store.records import parse_visit_time

    with pytest.raises(InputError, match="'20/03/2026' is not a date or time; use YYYY-MM-DD or 'YYYY-MM-DD HH:MM'"):
        parse_visit_time("20/03/2026")


def _saved(tmp_path: Path, *analyses: dict) -> None:
    """A store in ``tmp_path``'s default place holding ``analyses`` as sessions 1, 2, ... of subject P-1."""
    from hiprom.store import Store

    with Store(tmp_path / "data" / "hiprom.db") as store:
        for i, analysis in enumerate(analyses):
            store.save_analysis(analysis, subject="P-1", recorded_utc=f"2026-03-{i + 1:02d}T10:00:00Z")


def _stored_analysis(**verdicts: str | None) -> dict:
    """The saved fixture analysis, with the asymmetry ``verdicts`` given (measure: verdict)."""
    analysis = json.loads((REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8"))
    analysis["asymmetry"]["verdicts"] = {m: verdicts.get(m, "within") for m in MEASURES}
    return analysis


def test_the_sessions_list_says_the_verdict_in_the_asymmetry_tables_words(tmp_path: Path) -> None:
    """The list called a test "flagged" (and a within one nothing) where its asymmetry table, the
    page and the PDF say "⚑ exceeds" and "within": now the list's cell is the table's words."""
    from hiprom.report.rows import verdict_words

    legacy = json.loads((REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8"))
    flagged_legacy = json.loads(json.dumps(legacy))
    flagged_legacy["asymmetry"].update(flagged=True, flagged_measures=["total_arc"])
    _saved(tmp_path, _stored_analysis(total_arc="exceeds"), _stored_analysis(total_arc="inconclusive"),
           _stored_analysis(), legacy, flagged_legacy)  # the last two saved before verdicts existed
    listed = hiprom(tmp_path, "sessions", "list").stdout
    cells = {int(line.split()[0]): line.split("│")[-2].strip() for line in listed.splitlines()
             if re.match(r"\s*\d+ │", line)}
    # The last two (IR -6.1° ± 2.5°, arc -8.5° ± 3.5°) worked out again with today's rule, as their reports are.
    assert cells == {1: verdict_words("exceeds"), 2: verdict_words("inconclusive"), 3: verdict_words("within"),
                     4: verdict_words("inconclusive"), 5: verdict_words("inconclusive")}
    assert cells[1] == "⚑ exceeds" and cells[2] == "? cannot tell" and "flagged" not in listed
    legacy_row = [line for line in hiprom(tmp_path, "sessions", "show", "4").stdout.splitlines()
                  if line.startswith("Total arc") and "│" in line][-1]
    assert legacy_row.rstrip().endswith("? cannot tell")  # the list says what the session's table says
    shown = hiprom(tmp_path, "sessions", "show", "1").stdout
    asymmetry_row = [line for line in shown.splitlines() if line.startswith("Total arc") and "│" in line][-1]
    assert asymmetry_row.rstrip().endswith("⚑ exceeds")


def test_a_session_saved_with_the_old_notes_shows_them_as_sentences(tmp_path: Path) -> None:
    # 'sessions show' printed "note: left: pelvis hike during 1 trial" for a session an earlier version saved.
    old = REPO / "tests" / "store" / "data" / "analysis.json"
    hiprom(tmp_path, "sessions", "add", str(old))
    notes = [line for line in hiprom(tmp_path, "sessions", "show", "1").stdout.splitlines() if "note:" in line]
    assert notes == ["note: Left leg: hip lifted off the seat in 1 trial, which did not count.",
                     "note: Right leg: leg out of frame in 2 frames.",
                     "note: Left/right comparison of internal rotation and total arc worked out again with today's "
                     "rule, which allows for the ± of each side; hiprom 0.1.0 said: within."], notes


def test_a_session_hiprom_0_1_saved_is_judged_by_todays_rule_in_its_pdf_csv_and_list(tmp_path: Path) -> None:
    """hiprom 0.1 judged left/right by its flag on the 10° line alone: its sample session (IR -6.1° ± 2.5°,
    arc -8.5° ± 3.5°) read "within" in the PDF, the CSV and 'sessions list', where a session saved today
    with those figures reads "? cannot tell". Now each says today's verdict and, once, that it was worked
    out again and what 0.1 said; 'sessions show --json' keeps the session as saved."""
    saved = json.loads((REPO / "tests" / "store" / "data" / "analysis.json").read_text(encoding="utf-8"))
    _saved(tmp_path, saved)
    said = "worked out again with today's rule"
    listed = hiprom(tmp_path, "sessions", "list").stdout
    row = next(line for line in listed.splitlines() if re.match(r"\s*1 │", line))
    assert row.split("│")[-2].strip() == "? cannot tell", listed
    assert listed.count(said) == 1 and "hiprom 0.1.0 said: within" in listed, listed
    hiprom(tmp_path, "report", "1", "-o", "r.pdf", "--csv", "r")
    pdf = " ".join(subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                                  text=True, check=True, timeout=120).stdout.split())
    assert "Internal rotation L − R −6.1° ± 2.5° 16.0% right ? cannot tell" in pdf, pdf
    assert "Total arc (IR + ER) L − R −8.5° ± 3.5° 12.5% right ? cannot tell" in pdf, pdf
    assert pdf.count(said) == 1 and "hiprom 0.1.0 said: within." in pdf
    with open(tmp_path / "r.summary.csv", encoding="utf-8-sig", newline="") as f:
        csv_row = next(csv.DictReader(f))
    assert [csv_row[f"asymmetry_{m}_verdict"] for m in MEASURES] == ["inconclusive", "within", "inconclusive"]
    assert csv_row["quality_notes"].count(said) == 1
    shown = json.loads(hiprom(tmp_path, "sessions", "show", "1", "--json").stdout)
    assert shown["analysis"]["asymmetry"] == saved["asymmetry"] and shown["asymmetry_verdict"] is None


def test_sessions_show_has_the_pdfs_recording_line(home: Path) -> None:
    """The PDF's header gives the recording (frames, frame rate, length) and 'sessions show' did not; and
    'analyze' said it another way ("137 frames, 13.7 s at 10 fps"). They now say it alike (the PDF's
    line: test_report_pdf_has_the_exported_figures_and_renders)."""
    analysis = json.loads((home / "analysis.json").read_text(encoding="utf-8"))
    words = f"{analysis['frames']} frames at {fmt(analysis['fps'])} fps, {fmt(analysis['duration_s'])} s"
    shown = hiprom(home, "sessions", "show", "1").stdout
    assert any(line.split() == ["recording", "│", *words.split()] for line in shown.splitlines()), shown
    analyzed = hiprom(home, "analyze", str(SAMPLE)).stdout
    assert analyzed.splitlines()[0] == f"{SAMPLE.name}: {words}"


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_a_list_of_sessions_fits_the_terminal_without_cutting_a_day_a_name_or_a_figure(tmp_path: Path,
                                                                                          width: int) -> None:
    """On an 80-column terminal the list cut every cell to fit eleven columns: "2026…", "P-山…",
    "demo_s…", "subj…". It now keeps each day, pseudonym and figure whole, folds a long operator or
    file name, and at 80 columns leaves those two out with a line saying where they are. Below about
    73 columns it still cut the verdict and the difference ("? ca", "−8"): at 60 it leaves out each
    side's figures too, and says so."""
    from rich.cells import cell_len
    from rich.console import Console

    from hiprom.cli.session_list import sessions_tables
    from hiprom.store import Store

    analysis = _stored_analysis(total_arc="inconclusive")
    analysis["source"] = "2026-03-01 clinic room 2 camera B, seated test.landmarks.npz"
    with Store(tmp_path / "hiprom.db") as store:
        store.save_analysis(analysis, subject="P-山田", operator="Dr 王 Ana-María Núñez",
                            recorded_utc="2026-03-01T10:00:00Z")
        rows = store.sessions()
    out = Console(width=width, file=io.StringIO(), color_system=None)
    for item in sessions_tables("Sessions", rows, out.width):
        out.print(item)
    text = out.file.getvalue()
    assert max(cell_len(line) for line in text.splitlines()) <= width, text
    assert "…" not in text and "2026-03-01" in text and "P-山田" in text and "? cannot tell" in text
    figures = ("left_ir_deg", "right_er_deg", "asymmetry_arc_deg") if width >= 80 else ("asymmetry_arc_deg",)
    assert all(fmt(getattr(rows[0], f)) in text for f in figures)
    body = [line.split("│") for line in text.splitlines() if "│" in line]
    column = lambda i: "".join(re.sub(r"\s", "", cells[i]) for cells in body)  # noqa: E731
    if width >= 120:  # folded onto more lines, not cut
        assert column(3) == "Dr王Ana-MaríaNúñez" and column(-1) == re.sub(r"\s", "", analysis["source"])
    elif width == 80:
        assert "Núñez" not in text and "Operator and source left out to fit 80 columns" in text
    else:
        assert "Núñez" not in text and "L IR" not in text and fmt(rows[0].left_ir_deg) not in text
        assert "Operator, source and each side's IR and ER left out to fit 60 columns" in " ".join(text.split())
