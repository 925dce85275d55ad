/* The clinician's own instrument readings for a saved session (docs/validation.md).
 *
 * Offered once a session is saved: a small form (instrument, who measured, internal and
 * external rotation per side in the server's side order, notes) posted to
 * POST /api/sessions/{id}/references; `hiprom validate` pairs the readings with the
 * session's own figures. Degrees as the instrument showed them, positive in the
 * direction named; any subset of the four angles. The server checks every value (range,
 * at least one angle) and its one-line message is shown next to the field it names.
 * Under it, the agreement report of the instrument chosen (GET /api/validation.pdf: `hiprom validate -o`'s PDF
 * over every stored pair of that instrument) once there are pairs enough (GET /api/validation/ready), else the
 * server's sentence saying how many there are and how many are needed; and the report of the readings of whoever
 * "Measured by" names, when theirs are enough and not all of them.
 */

import { $, app, facts } from "./state.js";
import { httpUrl } from "./connection.js";
import { disclosure, el } from "./dom.js";
import { pdfLink } from "./paper.js";

const ANGLES = [["ir", "Internal rotation"], ["er", "External rotation"]];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const box = $("reference");
let form = null;
let sessionId = null;

const cap = (word) => word.charAt(0).toUpperCase() + word.slice(1);
const angleFields = () => facts.sides.flatMap((side) => ANGLES.map(([d]) => `${side}_${d}_deg`));
const deg = (v) => `${Number(v)}°`;

/** One labelled input with its error line below (read out with the field: aria-describedby). */
function field(name, label, attrs = {}, suffix = "") {
  const id = `ref-${name}`;
  const input = el("input", { id, name, type: "text", autocomplete: "off", spellcheck: "false",
    "aria-describedby": `${id}-error`, ...attrs });
  const wrap = el("span", { class: "ref-input" }, input);
  if (suffix) wrap.append(el("span", { class: "ref-unit", "aria-hidden": "true" }, suffix));
  return el("div", { class: "ref-field" }, el("label", { for: id }, label), wrap,
    el("span", { class: "ref-error", id: `${id}-error` }));
}

function build() {
  const instrument = el("select", { id: "ref-instrument", name: "instrument" },
    ...(app.info.instruments || []).map((i) => el("option", { value: i }, cap(i))));
  const sides = facts.sides.map((side) => el("fieldset", { class: "ref-side" },
    el("legend", {}, `${cap(side)} hip`),
    ...ANGLES.map(([d, words]) => field(`${side}_${d}_deg`, words,
      { inputmode: "decimal", size: "5", maxlength: "8", title: "degrees, as the instrument showed them" }, "°"))));
  form = el("form", { id: "ref-form", class: "ref-form", novalidate: "" },
    el("p", { class: "ref-hint" }, "Degrees as your goniometer or inclinometer showed them; fill in any of the four."),
    el("div", { class: "ref-who" },
      el("div", { class: "ref-field" }, el("label", { for: "ref-instrument" }, "Instrument"), instrument),
      field("rater", "Measured by", { maxlength: "200", placeholder: "initials or code" })),
    el("div", { class: "ref-sides" }, ...sides),
    field("notes", "Notes", { maxlength: "2000", placeholder: "optional" }),
    el("div", { class: "buttons small" },
      el("button", { type: "submit", id: "ref-submit", class: "primary" }, "Store readings ", el("kbd", {}, "Enter"))),
    el("p", { id: "ref-status", class: "save-status", role: "status" }),
    el("div", { id: "ref-done", hidden: "" }, el("p", { class: "ref-done-text" }, "Readings stored with this session:"),
      el("ul", { id: "ref-stored", class: "ref-stored", "aria-label": "Readings stored with this session" })),
    el("p", { id: "ref-agreement", class: "ref-hint", "aria-live": "polite" }));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); store(); });
  instrument.addEventListener("change", agreement);
  form.querySelector("#ref-rater").addEventListener("change", agreement);
  box.replaceChildren(disclosure("ref-toggle", "Add your instrument's readings", form, () => $("ref-instrument")), form);
}

function clearErrors() {
  for (const node of form.querySelectorAll(".ref-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const status = $("ref-status");
  status.textContent = "";
  status.className = "save-status";
}

/** Show one message: next to the field it names (which gets focus), else on the status line. */
function showError(name, message) {
  const input = name && $(`ref-${name}`);
  if (input && $(`ref-${name}-error`)) {
    input.setAttribute("aria-invalid", "true");
    $(`ref-${name}-error`).textContent = message;
    input.focus();
  } else {
    $("ref-status").className = "save-status error";
    $("ref-status").textContent = `Not stored: ${message}`;
  }
}

/** The server's 422 detail as (field, words): "left_ir_deg: 150 deg is outside ..." or pydantic's list. */
function fieldError(detail) {
  const words = (text) => String(text).replace(/(\d) deg\b/g, "$1°").replace(/(\d) to (-?\d)/g, "$1° to $2");
  if (Array.isArray(detail) && detail.length) {
    const loc = detail[0].loc || [];
    return [String(loc[loc.length - 1] || ""), words(detail[0].msg || "not accepted")];
  }
  const m = /^([a-z_]+): (.+)$/s.exec(String(detail || ""));
  return m && $(`ref-${m[1]}`) ? [m[1], words(m[2])] : ["", words(detail || "not accepted")];
}

/** The typed readings as the API's body; a field that is not a number is reported here. */
function body() {
  const out = { instrument: $("ref-instrument").value };
  for (const name of ["rater", "notes"]) {
    const text = $(`ref-${name}`).value.trim();
    if (text) out[name] = text;
  }
  for (const name of angleFields()) {
    const raw = $(`ref-${name}`).value;
    const text = raw.trim().replace(/°$/, "").trim().replace(/^([+-]?\d*),(\d+)$/, "$1.$2");
    if (!text) continue;
    if (!NUMBER.test(text)) {
      showError(name, `"${raw.trim()}" is not a number of degrees; write it like 32 or 32.5`);
      return null;
    }
    out[name] = Number(text);
  }
  return out;
}

/** What was stored, in words: instrument, who, and each angle per side (left before right). */
function describe(reading) {
  const parts = facts.sides.map((side) => {
    const got = ANGLES.map(([d, words]) => [words.toLowerCase(), reading[`${side}_${d}_deg`]])
      .filter(([, v]) => v !== null && v !== undefined).map(([words, v]) => `${words} ${deg(v)}`);
    return got.length ? `${cap(side)} hip: ${got.join(", ")}` : "";
  }).filter(Boolean);
  const who = [cap(reading.instrument), reading.rater ? `measured by ${reading.rater}` : ""].filter(Boolean).join(", ");
  return `${who} — ${parts.join("; ")}${reading.notes ? ` (${reading.notes})` : ""}`;
}

async function store() {
  clearErrors();
  const payload = body();
  if (!payload || sessionId === null) return;
  const submit = $("ref-submit");
  submit.disabled = true;
  try {
    const r = await fetch(httpUrl(`api/sessions/${sessionId}/references`), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const answer = await r.json().catch(() => ({}));
    if (r.status === 422) { showError(...fieldError(answer.detail)); return; }
    if (!r.ok) {
      showError("", typeof answer.detail === "string" ? answer.detail : `the server answered ${r.status}`);
      return;
    }
    $("ref-stored").append(el("li", {}, describe(answer)));
    $("ref-done").hidden = false;
    $("ref-status").className = "save-status ok";
    $("ref-status").textContent = `Stored with session ${answer.session_id}.`;
    for (const name of [...angleFields(), "notes"]) $(`ref-${name}`).value = "";
    agreement();
  } catch (e) {
    showError("", `the server did not answer (${e.message}); try again`);
  } finally {
    submit.disabled = false;
  }
}

/** Whether the report of ``query``'s pairs can be made: the server's ``{ready, detail, pairs}``, null if unknown. */
async function ready(query) {
  const r = await fetch(httpUrl(`api/validation/ready?${query}`), { credentials: "same-origin" });
  return r.ok ? r.json() : null;
}

/** A link to download the agreement report of ``query``'s pairs. */
function reportLink(id, query, file, words) {
  return pdfLink({ id, class: "button" }, httpUrl(`api/validation.pdf?${query}&download=1`), file, words);
}

/** The agreement report of the chosen instrument, or why there is none yet (the server's sentence: the pairs found
 * and those needed); and, when "Measured by" names someone whose readings are some of them, enough for a report
 * of their own, that one beside it: in a clinic of several, each clinician sees how hiprom agrees with them. */
async function agreement() {
  const instrument = $("ref-instrument").value;
  const rater = $("ref-rater").value.trim();
  const query = `instrument=${encodeURIComponent(instrument)}`;
  const theirs = `${query}&rater=${encodeURIComponent(rater)}`;
  const line = $("ref-agreement");
  try {
    const [all, own] = await Promise.all([ready(query), rater ? ready(theirs) : null]);
    if ($("ref-instrument").value !== instrument || $("ref-rater").value.trim() !== rater) return; // its own follows
    if (!all || !all.ready) {
      line.textContent = all ? `No agreement report yet: ${all.detail}.` : "";
      return;
    }
    const links = [reportLink("ref-agreement-pdf", query, `hiprom-agreement-${instrument}.pdf`,
      `Agreement of hiprom with your ${instrument} (PDF)`)];
    if (own && own.ready && own.pairs < all.pairs) {
      links.push(reportLink("ref-agreement-rater-pdf", theirs, `hiprom-agreement-${instrument}-${rater}.pdf`,
        `Agreement of hiprom with ${rater}'s ${instrument} readings (PDF)`));
    }
    line.replaceChildren(...links);
  } catch (e) {
    line.textContent = ""; // the readings themselves are stored or said apart
  }
}

/** A session was saved: offer its reference readings form (closed until asked for). Angles and notes typed
 * for another session and not stored are emptied (they were offered, and stored, with the next patient's);
 * the instrument and who measured stay, the same all day. */
export function offerReference(id) {
  if (!box) return;
  if (!form) build();
  if (id !== sessionId) for (const name of [...angleFields(), "notes"]) $(`ref-${name}`).value = "";
  sessionId = id;
  clearErrors();
  $("ref-stored").replaceChildren();
  $("ref-done").hidden = true;
  box.hidden = false;
  agreement();
}

/** New results, nothing saved yet: no readings can be stored. */
export function withdrawReference() {
  if (!box) return;
  sessionId = null;
  box.hidden = true;
  if (form) {
    form.hidden = true;
    $("ref-toggle").setAttribute("aria-expanded", "false");
  }
}
