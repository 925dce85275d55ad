/* A patient's file from home added to their records on a clinic's page (POST /api/subjects/{subject}/import, the
 * page's form of 'hiprom store import FILE --subject'): the tests and exercises the patient's page put in "your file
 * for the clinic", or a saved test's "File for your clinic"; or the analysis of a video of the person ('hiprom analyze
 * --json', a batch's .analysis.json), taken as their test. Offered once a session is saved for a pseudonym, closed
 * until asked for, on a clinic's store only (a patient's own page sends the file; it does not take one in). The
 * server's one-line answer (not an export, imported already, someone else's here) is shown as it is written. */

import { $, app } from "./state.js";
import { detailWords, httpUrl } from "./connection.js";
import { disclosure, el } from "./dom.js";
import { offerVisits } from "./visits.js";

const box = $("homefile");
let subject = null;

function said(kind, words) {
  $("homefile-said").className = `save-status ${kind}`;
  $("homefile-said").textContent = words;
}

const counted = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What the import added, in words: "Added 2 tests and 3 exercises done at home to P-0042's records." */
function addedWords(answer) {
  const tests = Object.keys(answer.sessions || {}).length;
  const exercises = (answer.rows || {}).exercise_results || 0;
  const parts = [tests ? counted(tests, "test") : "", exercises ? `${counted(exercises, "exercise")} done at home` : ""];
  const what = parts.filter(Boolean).join(" and ") || "its records";
  return `Added ${what} to ${answer.subject}'s records.`;
}

async function send() {
  const file = $("homefile-file").files[0];
  $("homefile-file").value = ""; // the same file chosen again is sent again (and told it was added already)
  if (!file || !subject) return;
  said("", `Adding ${file.name}…`);
  try {
    const r = await fetch(httpUrl(`api/subjects/${encodeURIComponent(subject)}/import?file=${encodeURIComponent(file.name)}`), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: await file.text(),
    });
    const answer = await r.json().catch(() => ({}));
    if (r.ok) {
      said("ok", addedWords(answer));
      offerVisits(subject); // the tests added are visits of theirs
    }
    else said("error", `Not added: ${detailWords(answer.detail, r.status)}`);
  } catch (e) {
    said("error", "Not added: the hiprom server does not answer; check that it is running, then choose the file again.");
  }
}

function build() {
  const input = el("input", { type: "file", id: "homefile-file", accept: ".json,application/json", hidden: "" });
  input.addEventListener("change", send);
  const choose = el("button", { type: "button", id: "homefile-choose" }, "Choose the file");
  choose.addEventListener("click", () => input.click());
  const panel = el("div", { id: "homefile-panel", class: "fix-forms" },
    el("p", { class: "ref-hint", id: "homefile-hint" }), el("span", { class: "fix-line" }, choose, input),
    el("span", { id: "homefile-said", class: "save-status", role: "status" }));
  box.replaceChildren(disclosure("homefile-toggle", "Add the patient's file from home", panel, () => choose), panel);
}

/** A session was saved for ``who`` (a pseudonym, or null), or its subject was corrected: offer to add their file. */
export function offerHomeFile(who) {
  if (!box) return;
  subject = who || null;
  if (!subject || app.info.home) { box.hidden = true; return; }
  if (!$("homefile-panel")) build();
  $("homefile-hint").textContent = `The file ${subject} sent from home (their tests and exercises), or an analysis of a video of theirs, is added to ${subject}'s records; what is here already is not added twice.`;
  box.hidden = false;
}

/** New results, nothing saved yet: nobody to add a file to. */
export function withdrawHomeFile() {
  if (!box) return;
  subject = null;
  box.hidden = true;
  if ($("homefile-panel")) {
    $("homefile-panel").hidden = true;
    $("homefile-toggle").setAttribute("aria-expanded", "false");
    $("homefile-said").textContent = "";
  }
}
