/* The clinic hands the test's exercises over as the patient's home program, from the page (docs/exercises.md, "The
 * home program handed over"): "Hand over as P-0042's home program" keeps the suggestions as they are (PUT
 * /api/sessions/{id}/program, as 'hiprom program edit N' with no option); "Change it first" opens a form to drop
 * exercises, add others of the catalogue (the clinic's own too), set each dose and write notes for the patient,
 * kept the same way. Then the page offers the program file for the patient's own hiprom (the session's export,
 * what 'hiprom program export N' writes; at home: Exercises, Take in the file) and the printed sheet (GET
 * .../program.pdf). Offered once a session is saved for a pseudonym, on a clinic's store ('hiprom serve --clinic',
 * or one that keeps a program or holds two patients), when the test suggested exercises. The server checks every value (doses in
 * range) and its one line is shown as it is written. */

import { $, app } from "./state.js";
import { detailWords, httpUrl } from "./connection.js";
import { disclosure, el } from "./dom.js";
import { LEG, loadCatalogue } from "./exercises.js";
import { pdfLink } from "./paper.js";

let session = null;
/** The program the form was filled from (GET .../program): what its rows change. */
let formProgram = null;
/** Its items, then those added on the form: row ``i`` is ``formItems[i]``. */
let formItems = [];
/** The exercises that can be added (GET /api/exercises), by id. */
let catalogue = {};
const DOSE = [["hold_s", "Hold (s)", 0, 600], ["reps", "Times", 1, 100], ["sets", "Sets", 1, 20]];

function said(kind, ...words) {
  $("hand-over-said").className = `save-status ${kind}`;
  $("hand-over-said").replaceChildren(...words);
}

async function json(path, init = {}) {
  const r = await fetch(httpUrl(path), { credentials: "same-origin", ...init });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(detailWords(body.detail, r.status));
  return body;
}

/** Keep ``program`` (items, notes, the clinic's own exercises it carries) as the session's, then offer its file and
 * sheet; the server's one line when it refuses a value. */
async function keep(program) {
  const { id, subject } = session;
  $("btn-hand-over").disabled = true;
  try {
    await json(`api/sessions/${id}/program`, {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: program.items, notes: program.notes, exercises: program.exercises }),
    });
    if (!session || session.id !== id) return; // a new test meanwhile
    const day = new Date().toLocaleDateString("sv-SE");
    const file = el("a", { id: "hand-over-file", href: httpUrl(`api/sessions/${id}/export.json`),
      download: `hiprom-program-${subject}-${day}.json` }, "the program file");
    const sheet = pdfLink({ id: "hand-over-sheet" }, httpUrl(`api/sessions/${id}/program.pdf?download=1`),
      `hiprom-program-${subject}-${day}.pdf`, "the printed sheet");
    said("ok", `Kept as ${subject}'s home program. Give them `, file,
      " (on their computer: Exercises, then Take in the file) and ", sheet, ".");
  } catch (e) {
    said("error", `Not handed over: ${e.message}`);
  } finally {
    $("btn-hand-over").disabled = false;
  }
}

/** The program in force for the session: the one kept, else its suggestions (GET .../program). */
const current = () => json(`api/sessions/${session.id}/program`);

async function handOver() {
  try {
    await keep(await current());
  } catch (e) {
    said("error", `Not handed over: ${e.message}`);
  }
}

/** One row of the form: the exercise and leg with Keep, and its dose. */
function formRow(item, i) {
  const name = `${(catalogue[item.exercise] || {}).name || item.exercise} — ${LEG[item.side] || item.side}`;
  const keepBox = el("input", { type: "checkbox", id: `hand-keep-${i}`, checked: "" });
  const doses = DOSE.map(([key, label, low, high]) => el("label", { class: "hand-dose" }, `${label} `,
    el("input", { type: "number", id: `hand-${key}-${i}`, min: String(low), max: String(high), step: "1",
      value: String(item.dose[key]), "aria-label": `${label}: ${name}` })));
  return el("div", { class: "hand-row", "data-index": String(i) },
    el("label", { class: "hand-name" }, keepBox, ` ${name}`), el("span", { class: "hand-doses" }, ...doses));
}

/** The legs an exercise can be given for: each leg (a row per leg), one of them, or both together. */
const legChoices = (exercise) => (exercise.sides === "both" ? [["both", LEG.both]]
  : [["each", "each leg"], ["left", LEG.left], ["right", LEG.right]]);

function fillLegs() {
  const exercise = catalogue[$("hand-add-exercise").value];
  $("hand-add-side").replaceChildren(...(exercise ? legChoices(exercise) : [])
    .map(([value, words]) => el("option", { value }, words)));
}

/** The form's rows: each exercise of the program with Keep and its dose, the notes, and every exercise of the
 * catalogue (the clinic's own too) to add. */
async function fillForm() {
  const [program, cat] = await Promise.all([current(), loadCatalogue()]);
  catalogue = cat;
  formProgram = program;
  formItems = program.items.slice();
  $("hand-rows").replaceChildren(...formItems.map((item, i) => formRow(item, i)));
  $("hand-notes").value = program.notes || "";
  $("hand-add-exercise").replaceChildren(...Object.values(catalogue)
    .map((e) => el("option", { value: e.id }, e.name || e.id)));
  fillLegs();
}

/** Add the chosen exercise at its catalogue dose, a row per leg, ticked; the focus on its first dose. */
function addExercise() {
  const exercise = catalogue[$("hand-add-exercise").value];
  if (!exercise) return;
  const choice = $("hand-add-side").value;
  const sides = choice === "each" ? ["left", "right"] : [choice];
  const first = formItems.length;
  for (const side of sides) {
    const item = { exercise: exercise.id, side, direction: exercise.targets[0], reason: null,
      dose: { ...exercise.dose }, notes: null };
    $("hand-rows").append(formRow(item, formItems.length));
    formItems.push(item);
  }
  $(`hand-${DOSE[0][0]}-${first}`).focus();
}

/** The form as a program: the exercises kept, their doses as typed (checked by the server), the notes. */
function edited() {
  const items = formItems.flatMap((item, i) => ($(`hand-keep-${i}`).checked
    ? [{ ...item, dose: Object.fromEntries(DOSE.map(([key]) => [key, Number($(`hand-${key}-${i}`).value)])) }] : []));
  return { ...formProgram, items, notes: $("hand-notes").value };
}

function buildForm() {
  const form = el("form", { id: "hand-edit", class: "fix-forms hand-edit", novalidate: "" },
    el("p", { class: "ref-hint" }, "Untick what they should not do, add what they should; doses and notes as you want them on their sheet."),
    el("div", { id: "hand-rows" }),
    el("div", { class: "hand-add" },
      el("label", { for: "hand-add-exercise" }, "Add an exercise"),
      el("select", { id: "hand-add-exercise" }),
      el("select", { id: "hand-add-side", "aria-label": "Leg" }),
      el("button", { type: "button", id: "hand-add" }, "Add")),
    el("label", { for: "hand-notes" }, "Notes for the patient"),
    el("textarea", { id: "hand-notes", rows: "2", maxlength: "1000" }),
    el("button", { type: "submit", id: "hand-edit-submit" }, "Keep and hand over"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const program = edited();
    if (!program.items.length) said("error", "Not handed over: tick at least one exercise.");
    else await keep(program);
  });
  form.querySelector("#hand-add-exercise").addEventListener("change", fillLegs);
  form.querySelector("#hand-add").addEventListener("click", addExercise);
  const toggle = disclosure("hand-edit-toggle", "Change it first", form, () => $("hand-notes"));
  toggle.addEventListener("click", () => {
    if (form.hidden) return;
    fillForm().then(() => $("hand-keep-0") && $("hand-keep-0").focus())
      .catch((e) => said("error", `Not read: ${e.message}`));
  });
  $("hand-over").insertBefore(el("span", { class: "fix-line" }, toggle), $("hand-over-said"));
  $("hand-over").insertBefore(form, $("hand-over-said"));
}

$("btn-hand-over").addEventListener("click", handOver);
buildForm();

/** A session was saved (``id``, for ``subject`` or nobody) with ``suggested`` exercises: offer to hand them over. */
export function offerHandOver(id, subject, suggested) {
  session = subject ? { id, subject } : null;
  $("hand-over").hidden = !session || app.info.home || !suggested;
  $("btn-hand-over").textContent = `Hand over as ${subject}'s home program`;
  $("hand-edit").hidden = true;
  $("hand-edit-toggle").setAttribute("aria-expanded", "false");
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
