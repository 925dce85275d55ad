/* The home program a clinician handed over to this computer's store ('hiprom program import', or the file chosen
 * on this page: POST /api/home-program): fetched from the server (GET /api/home-program, null at a clinic), it
 * takes the place of a test's own suggestions, in the words of the program's printed page (docs/exercises.md). */

import { app } from "./state.js";
import { httpUrl } from "./connection.js";

/** The handed-over program (``items`` with ``name``, ``side`` and ``dose`` in the printed page's words,
 * ``side_id`` and ``dose_spec`` to start one), or null: none, or a server that keeps no records. */
export async function handedProgram() {
  if (!app.info.records) return null;
  try {
    const r = await fetch(httpUrl("api/home-program"), { credentials: "same-origin" });
    return r.ok ? await r.json() : null;
  } catch (e) {
    return null; // the test's own suggestions are shown
  }
}

/** The program's items as the suggestions' list takes them (``dose``: hold_s, reps, sets; ``words``: the
 * printed dose; ``name`` and ``steps`` for a clinic's own exercise, which this computer's catalogue lacks), the
 * program's one reason on each when the page printed it once above them. */
export function programEntries(program) {
  return program.items.map((item) => ({
    exercise: item.id, side: item.side_id, reason: item.reason || program.why, dose: item.dose_spec,
    words: item.dose, notes: item.notes, name: item.name, steps: item.steps, today: doneToday(program, item),
  }));
}

/** What was done of ``item`` today on this computer (GET /api/home-program's ``today``; both legs for a "both"
 * item): "Today: 14 of 16 counted" by the camera, "Today: 3 of 3 done with the timer", or "" when nothing was. */
function doneToday(program, item) {
  const rows = (program.today || []).filter((r) => r.exercise === item.id
    && (item.side_id === "both" || r.side === item.side_id || r.side === "both"));
  if (!rows.length) return "";
  const sum = (key) => rows.reduce((n, r) => n + r[key], 0);
  return `Today: ${sum("reps_done")} of ${sum("reps_target")} ${rows.every((r) => r.timed) ? "done with the timer" : "counted"}`;
}

/** "Exercises chosen from your hip rotation result, set by your clinician · 2026-12-06", as the printed page. */
export function programByline(program) {
  return `Exercises chosen from your hip rotation result, set by your clinician${program.session_date ? ` · ${program.session_date}` : ""}`;
}

/** How many of the last 7 days (today's included) an exercise of the program was done on this computer, counted
 * by the camera or with the timer: "Exercises done on 3 of the last 7 days.", or "" before the first. */
export function programWeek(program) {
  const n = program.days_this_week || 0;
  return n ? `Exercises done on ${n} of the last 7 days.` : "";
}

/** Send the program file the person chose (what 'hiprom program export' wrote at the clinic) to be taken in:
 * ``{program, followed}`` (followed: the page follows it now), or ``{error}`` in one line to show. */
export async function takeInProgram(file) {
  try {
    const r = await fetch(httpUrl(`api/home-program?file=${encodeURIComponent(file.name)}`), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: await file.text(),
    });
    const body = await r.json().catch(() => ({}));
    if (r.ok) return body;
    if (r.status === 409) return { error: "This program file was taken in already; nothing changed." };
    return { error: body.detail ? `Not taken in: ${body.detail}` : `Not taken in (HTTP ${r.status}).` };
  } catch (e) {
    return { error: "Not taken in: the hiprom server does not answer; check that it is running, then choose the file again." };
  }
}
