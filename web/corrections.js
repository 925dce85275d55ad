/* Putting a saved session's subject right from the page (docs/store.md, "Correcting records").
 *
 * Offered once a session is saved, closed until asked for: move the session to the subject it belongs
 * to (PATCH /api/sessions/{id} {"subject"}: a subject that exists), and rename its subject
 * (PATCH /api/subjects/{pseudonym} {"pseudonym"}: a pseudonym typed wrong). The server applies the
 * same rules as `hiprom sessions move` and `hiprom subjects rename`; its one-line answer (404 no such
 * subject, 409 a pseudonym another subject has, 422 nothing to change) is shown as it is written,
 * next to the field, which gets focus and is described by it.
 */

import { $, ui } from "./state.js";
import { detailWords, httpUrl } from "./connection.js";
import { disclosure, el } from "./dom.js";
import { handOverFor } from "./handover.js";
import { offerHomeFile } from "./homefile.js";
import { offerVisits } from "./visits.js";

const box = $("correct");
let sessionId = null;
let subject = null;

/** One small form: a labelled field, its button, and the line that reads out the server's answer. */
function part(name, label, button, placeholder, send) {
  const id = `fix-${name}`;
  const input = el("input", { id, name, type: "text", maxlength: "64", autocomplete: "off", spellcheck: "false",
    placeholder, "aria-describedby": `${id}-said` });
  const form = el("form", { id: `${id}-form`, class: "fix-form", novalidate: "" },
    el("label", { for: id, id: `${id}-label` }, label),
    el("span", { class: "fix-line" }, input, el("button", { type: "submit", id: `${id}-submit` }, button)),
    el("span", { id: `${id}-said`, class: "save-status", role: "status" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const said = $(`${id}-said`);
    const value = input.value.trim();
    said.className = "save-status";
    said.textContent = "";
    input.removeAttribute("aria-invalid");
    if (!value) { fail(input, said, "type a pseudonym first"); return; }
    $(`${id}-submit`).disabled = true;
    try {
      const [r, answer] = await send(value);
      if (!r.ok) { fail(input, said, detailWords(answer.detail, r.status)); return; }
      input.value = "";
      said.className = "save-status ok";
      said.textContent = done(name, answer);
    } catch (e) {
      fail(input, said, `the server did not answer (${e.message}); try again`);
    } finally {
      $(`${id}-submit`).disabled = false;
    }
  });
  return form;
}

function fail(input, said, words) {
  input.setAttribute("aria-invalid", "true");
  said.className = "save-status error";
  said.textContent = `Not changed: ${words}`;
  input.focus();
}

async function patch(path, body) {
  const r = await fetch(httpUrl(path), {
    method: "PATCH", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return [r, await r.json().catch(() => ({}))];
}

/** What changed, in words, with the labels brought up to date. */
function done(name, answer) {
  const before = subject;
  subject = name === "move" ? answer.subject : answer.pseudonym;
  ui.subject.value = subject; // a re-test (Test again) of this person is saved under the right pseudonym
  labels();
  offerHomeFile(subject); // a file from home goes to the person the session is now, and a program is handed over as theirs
  offerVisits(subject); // and the visits listed are theirs
  handOverFor(subject);
  return name === "move"
    ? `Session #${sessionId} is now ${subject}'s.${before ? ` ${before} stays, with any other sessions.` : ""}`
    : `${before} is now ${subject}; its sessions, readings and exercises stay with it.`;
}

function labels() {
  $("fix-move-label").textContent = `Move session #${sessionId} to subject`;
  $("fix-rename-form").hidden = !subject;
  if (subject) $("fix-rename-label").textContent = `Rename subject ${subject} to`;
}

function build() {
  const forms = el("div", { id: "fix-forms", class: "fix-forms" },
    el("p", { class: "ref-hint" }, "Saved under the wrong person, or the pseudonym typed wrong? Put it right here."),
    part("move", "Move session to subject", "Move", "an existing pseudonym",
      (value) => patch(`api/sessions/${sessionId}`, { subject: value })),
    part("rename", "Rename subject to", "Rename", "the right pseudonym",
      (value) => patch(`api/subjects/${encodeURIComponent(subject)}`, { pseudonym: value })));
  box.replaceChildren(disclosure("fix-toggle", "Correct the subject", forms, () => $("fix-move")), forms);
}

/** A session was saved (for ``who``, a pseudonym or null): offer to correct its subject. */
export function offerCorrection(id, who) {
  if (!box) return;
  if (!$("fix-forms")) build();
  sessionId = id;
  subject = who || null;
  for (const name of ["move", "rename"]) {
    $(`fix-${name}`).value = "";
    $(`fix-${name}`).removeAttribute("aria-invalid");
    $(`fix-${name}-said`).textContent = "";
  }
  labels();
  box.hidden = false;
}

/** New results, nothing saved yet: nothing to correct. */
export function withdrawCorrection() {
  if (!box) return;
  sessionId = null;
  box.hidden = true;
  if ($("fix-forms")) {
    $("fix-forms").hidden = true;
    $("fix-toggle").setAttribute("aria-expanded", "false");
  }
}
