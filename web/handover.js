/* The clinic hands the test's exercises over as the patient's home program, from the page (docs/exercises.md, "The
 * home program handed over"): "Hand over as P-0042's home program" keeps the suggestions as they are (PUT
 * /api/sessions/{id}/program, as 'hiprom program edit N' with no option), then offers the program file for the
 * patient's own hiprom (the session's export, what 'hiprom program export N' writes; at home: Exercises, Take in
 * the file) and the printed sheet (GET .../program.pdf). Offered once a session is saved for a pseudonym, on a
 * clinic's store, when the test suggested exercises; a program edited item by item is 'hiprom program edit'. */

import { $, app } from "./state.js";
import { httpUrl } from "./connection.js";
import { el } from "./dom.js";

let session = null;

function said(kind, ...words) {
  $("hand-over-said").className = `save-status ${kind}`;
  $("hand-over-said").replaceChildren(...words);
}

async function json(path, init = {}) {
  const r = await fetch(httpUrl(path), { credentials: "same-origin", ...init });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `the server answered ${r.status}`);
  return body;
}

async function handOver() {
  const { id, subject } = session;
  $("btn-hand-over").disabled = true;
  try {
    const program = await json(`api/sessions/${id}/program`);
    await json(`api/sessions/${id}/program`, {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: program.items, notes: program.notes, exercises: program.exercises }),
    });
    if (!session || session.id !== id) return; // a new test meanwhile
    const day = new Date().toLocaleDateString("sv-SE");
    const file = el("a", { id: "hand-over-file", href: httpUrl(`api/sessions/${id}/export.json`),
      download: `hiprom-program-${subject}-${day}.json` }, "the program file");
    const sheet = el("a", { id: "hand-over-sheet", href: httpUrl(`api/sessions/${id}/program.pdf?download=1`),
      download: `hiprom-program-${subject}-${day}.pdf` }, "the printed sheet");
    said("ok", `Kept as ${subject}'s home program. Give them `, file,
      " (on their computer: Exercises, then Take in the file) and ", sheet, ".");
  } catch (e) {
    said("error", `Not handed over: ${e.message}`);
  } finally {
    $("btn-hand-over").disabled = false;
  }
}

$("btn-hand-over").addEventListener("click", handOver);

/** A session was saved (``id``, for ``subject`` or nobody) with ``suggested`` exercises: offer to hand them over. */
export function offerHandOver(id, subject, suggested) {
  session = subject ? { id, subject } : null;
  $("hand-over").hidden = !session || app.info.home || !suggested;
  $("btn-hand-over").textContent = `Hand over as ${subject}'s home program`;
  said("", "");
}

/** The saved session's subject was corrected: the program is handed over as the person's it is now. */
export function handOverFor(subject) {
  if (!session || !subject) return;
  session = { ...session, subject };
  $("btn-hand-over").textContent = `Hand over as ${subject}'s home program`;
}

/** New results, nothing saved yet: nothing to hand over. */
export function withdrawHandOver() {
  session = null;
  $("hand-over").hidden = true;
  said("", "");
}
