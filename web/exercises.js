/* What to do about a result: the suggestions under the results table, the exercise the
 * camera counts (chair rotation) or a timer guides (the others), and "Test again" with its
 * before/after table. Keys: E = do the first suggestion the camera follows; during an
 * exercise Space/Enter/Esc = done; after it T = test again, Esc = back to the results.
 * Words: docs/exercises.md. */

import { $, app, degrees, facts, hasKeys, reasonWords, setText, signedDegrees, ui } from "./state.js";
import { httpUrl, send } from "./connection.js";
import { command, showView } from "./guide.js";
import { say } from "./speech.js";
import { handedProgram, programByline, programEntries, programWeek, takeInProgram } from "./program.js";

/** The side of a figure ("Left internal rotation") and of an exercise ("left leg", as the PDF and the CLI say it). */
const SIDE = { left: "Left", right: "Right" };
export const LEG = { left: "left leg", right: "right leg", both: "both legs" };

const el = {
  advice: $("advice"), list: $("advice-list"), take: $("take-program"), file: $("program-file"), taken: $("program-taken"),
  panel: $("exercise"), title: $("exercise-title"),
  set: $("exercise-set"), count: $("exercise-count"), hold: $("exercise-hold"), say: $("exercise-say"),
  done: $("btn-exercise-done"), again: $("btn-test-again"), back: $("btn-exercise-back"), retest: $("retest"),
};

let catalogue = null;
let retestAdvice = "";
const ex = { shown: null, spokenCount: 0, spokenRep: 0, heldSaid: false, said: new Set(), timer: null };

/** Reasons of programs kept by hiprom 0.1 said "24 deg, below the 30-40 deg band". */
const deg = (text) => String(text).replace(/ deg\b/g, "°").replace(/(\d)-(\d)/g, "$1–$2");

/** The dose as a person reads it: "hold 3 s, 10 times, 2 sets". */
function doseWords(d) {
  const parts = d.hold_s ? [`hold ${d.hold_s} s`] : [];
  parts.push(d.reps === 1 ? "once" : `${d.reps} times`);
  parts.push(d.sets === 1 ? "1 set" : `${d.sets} sets`);
  return parts.join(", ");
}

/** Where ``done`` reps stand in the dose's sets, as the suggestion prescribes them ("10 times, 2 sets"):
 * ``{set: "Set 1 of 2:", count: "0 of 10", said}`` (``set`` "" for one set; reps beyond the dose count in its
 * last set: "12 of 10"); ``said``: what the voice says of the rep that made ``done`` (its number in its set,
 * and at the end of a set with another to come, that set finished). The panel said "Done 0 of 20" beside
 * its Done button. */
export function setProgress(done, dose) {
  const reps = Math.max(1, dose.reps), sets = Math.max(1, dose.sets);
  const number = Math.min(sets, Math.floor(done / reps) + 1);
  const inSet = done - (number - 1) * reps;
  const setEnded = done > 0 && inSet === 0;
  return {
    set: sets > 1 ? `Set ${number} of ${sets}:` : "",
    count: `${inSet} of ${reps}`,
    said: setEnded ? `${reps}. Set ${number - 1} of ${sets} finished: rest a moment, then set ${number}.` : String(inSet),
    setEnded,
  };
}

/** Show where ``done`` reps stand in ``dose`` (:func:`setProgress`); returns it. */
function showProgress(done, dose) {
  const p = setProgress(done, dose);
  setText(el.set, p.set);
  setText(el.count, p.count);
  el.count.dataset.reps = String(done);
  return p;
}

/** On a patient's own page, a reminder of the re-test beside its advice, as a calendar file (GET /api/retest.ics:
 * an all-day event 5 weeks on, with an alert at 9:00): the advice said "in about 4–6 weeks", and weeks later nothing
 * reminded them. A clinic's page offers none (it would go in the clinician's calendar). */
function offerReminder() {
  const own = !!(app.info && app.info.records && app.info.home);
  $("advice-remind-row").hidden = !own;
  if (!own) return;
  $("advice-remind").href = httpUrl("api/retest.ics");
  $("advice-remind").download = ""; // saved under the server's name, the day counted from in it
}

/** The exercises the page may start, by id: the catalogue, and a clinic's own that the program taken in carried
 * (GET /api/exercises; fetched again once a program file is taken in). */
export async function loadCatalogue() {
  if (catalogue) return catalogue;
  try {
    const r = await fetch(httpUrl("api/exercises"), { credentials: "same-origin" });
    if (r.ok) {
      const body = await r.json();
      catalogue = Object.fromEntries(body.exercises.map((e) => [e.id, e]));
      retestAdvice = body.retest || ""; // when to test again, in the words of the report and the program sheet
    }
  } catch (e) { /* without the catalogue the ids are shown */ }
  return catalogue || {};
}

/** A button; ``about`` names what it acts on for a screen reader, which hears the button alone
 * ("Timer: Knees to one side, left leg", not one "Timer" among many). */
function button(text, key, onClick, about = "") {
  const b = document.createElement("button");
  b.type = "button";
  if (about) b.setAttribute("aria-label", `${text}: ${about}`);
  b.append(text + " ");
  if (key) { const k = document.createElement("kbd"); k.textContent = key; b.appendChild(k); }
  b.addEventListener("click", onClick);
  return b;
}

/** The test whose suggestions are shown (a program taken in shows in their place). */
let adviceFor = null;
/** Whether the exercise under way (or just ended) was started from the exercises shown without a test (X). */
let fromProgram = false;
/** The latest counted exercise's record on its way to the store (its checklist is shown once it is there). */
let storing = Promise.resolve(null);
/** The clinician's program the list shows (GET /api/home-program's answer), or null: an exercise begun from it
 * with no test saved on this page is kept with the session it came with. */
let followed = null;

/** The suggestions of a finished test, under its table (none: the section is hidden); on a store a clinician's
 * program was handed over to (program.js), that program's exercises and doses instead, as its printed page lists
 * them. */
export async function renderAdvice(res) {
  $("retest-results").hidden = true; // a new test: its own before/after table comes when it is saved
  // Only the test that "Test again" started re-tests the session before it; a later test re-tests nothing.
  if (app.last) app.last.retestOf = app.retestOf;
  app.retestOf = null;
  adviceFor = res;
  setText(el.taken, "");
  await showAdvice(res, await handedProgram());
}

/** What the list shows: the clinician's ``program`` as its printed page words it, else the suggestions of ``res``
 * (left leg first). ``retest``: a function, since the suggestions' words come with the catalogue. */
function adviceOf(res, program) {
  if (program) {
    return { recs: programEntries(program), title: "Your home exercise program",
      by: [programByline(program), programWeek(program)].filter(Boolean).join(". "),
      notes: program.notes || "", ask: "A newer program from your clinician, as a file?", retest: () => `${program.retest}.` };
  }
  if (!res) { // the exercises asked for without a test, and no program to follow: how to get one
    return { recs: [], none: true, title: "Your home exercise program", by: "", notes: "",
      ask: "Given your program as a file by your clinician?", retest: () => retestAdvice };
  }
  const order = ["left", "right", "both"];
  const recs = [...(res.recommendations || [])].sort((a, b) => order.indexOf(a.side) - order.indexOf(b.side));
  return { recs, title: "What you can do about it", by: "", notes: "", ask: "Given your program as a file by your clinician?",
    retest: () => retestAdvice };
}

/** List the suggestions of ``res``, or ``program``'s exercises when a clinician's program is followed. */
async function showAdvice(res, program) {
  el.list.replaceChildren();
  followed = program;
  const shown = adviceOf(res, program);
  el.advice.hidden = shown.recs.length === 0 && !shown.none;
  el.take.hidden = !app.info.records || !app.info.home; // a clinic's page hands programs over; it takes none in
  $("advice-none").hidden = !shown.none;
  $("advice-safety").hidden = !!shown.none;
  $("take-program-ask").textContent = shown.ask;
  $("advice-title").textContent = shown.title;
  $("advice-by").hidden = !shown.by;
  $("advice-by").textContent = shown.by;
  $("advice-theirs").hidden = !!program || !!shown.none;
  $("advice-notes").hidden = !shown.notes;
  $("advice-notes").textContent = shown.notes;
  $("advice-retest").textContent = "";
  $("advice-remind-row").hidden = true;
  $("program-send").hidden = !program;
  if (program) { // every test and exercise kept here, in one file: the clinic's 'hiprom store import' adds what it lacks
    $("btn-program-send").href = httpUrl("api/home-program/export.json");
    $("btn-program-send").download = `hiprom-for-your-clinic-${new Date().toLocaleDateString("sv-SE")}.json`;
  }
  if (!shown.recs.length) return;
  const cat = await loadCatalogue();
  $("advice-retest").textContent = shown.retest();
  offerReminder();
  let keyed = false;
  el.list.replaceChildren(...shown.recs.map((rec) => {
    const known = cat[rec.exercise] // a clinic's own exercise of a program taken in too (GET /api/exercises)
      || { id: rec.exercise, name: rec.name || rec.exercise, steps: rec.steps, dose: null, camera_followed: false };
    const e = rec.dose ? { ...known, dose: rec.dose } : known; // the clinician's dose, else the catalogue's
    const li = document.createElement("li");
    li.dataset.exercise = rec.exercise;
    li.dataset.side = rec.side;
    const name = document.createElement("strong");
    name.textContent = `${e.name} — ${LEG[rec.side] || rec.side}`;
    const why = document.createElement("span");
    why.className = "sub";
    why.textContent = rec.reason ? `Why: ${deg(rec.reason)}.` : ""; // the PDF's words; the bare reason began in lower case
    li.append(name, " ", why);
    if (e.dose) {
      const dose = document.createElement("span");
      dose.className = "dose";
      dose.textContent = rec.words || doseWords(e.dose);
      li.append(" ", dose);
    }
    if (rec.today) { // the day's checklist: what the camera counted of it today
      const today = document.createElement("span");
      today.className = "sub ex-today";
      today.textContent = rec.today;
      li.append(" ", today);
    }
    if (rec.notes) {
      const notes = document.createElement("span");
      notes.className = "sub ex-notes";
      notes.textContent = rec.notes;
      li.append(" ", notes);
    }
    const side = rec.side === "both" ? "left" : rec.side;
    const about = `${e.name}, ${LEG[rec.side] || rec.side}`;
    // The camera counts it on the server's source and on this device's camera alike.
    if (e.camera_followed) {
      const first = !keyed;
      keyed = true;
      const b = button("Do it with the camera", first ? "E" : null, () => startCounted(rec.exercise, side, rec.dose), about);
      if (first) b.dataset.key = "e";
      li.appendChild(b);
    } else if (e.dose) { // a timer follows both legs as the suggestion says (it titled them "left leg")
      li.appendChild(button("Timer", null, () => startTimer(e, rec.side), about));
    }
    return li;
  }));
}

/** Exercises (X), from the start: the home program a clinician handed over (or how to get one), in place of the
 * live view, to do the exercises without a test first. Only between tests, on a server whose store may be a
 * patient's own (``info.home``: a clinic's page has no one patient's program to show). */
export async function openProgram() {
  const idle = () => !app.state || app.state.phase === "idle";
  if (!app.info.home || !idle() || app.exercise) return;
  const program = await handedProgram();
  if (!idle() || app.exercise) return; // a test began meanwhile
  app.showingLast = false;
  app.showingProgram = true;
  setText(el.taken, "");
  showView();
  await showAdvice(null, program);
  $("advice-title").focus();
}

/** The program file the person chose is sent to be taken in; its exercises then take the suggestions' place. */
async function takeInChosen() {
  const file = el.file.files[0];
  el.file.value = ""; // the same file chosen again is sent again (and told it was taken in already)
  if (!file) return;
  setText(el.taken, "Taking in your program…");
  const done = await takeInProgram(file);
  if (done.error) {
    setText(el.taken, done.error);
    return;
  }
  catalogue = null; // the clinic's own exercises the program carried: the camera may count one
  await showAdvice(app.showingProgram ? null : adviceFor, done.followed ? done.program : await handedProgram());
  setText(el.taken, done.followed ? "Your clinician's program is taken in: the exercises above are theirs, at their doses."
    : "Taken in, but this computer follows a newer program from your clinician: its exercises are the ones above.");
}

$("btn-take-program").addEventListener("click", () => el.file.click());
el.file.addEventListener("change", takeInChosen);

function showPanel(title) {
  fromProgram = app.showingProgram;
  setText($("exercise-back-label"), fromProgram ? "Back to your exercises" : "Back to the results");
  el.panel.hidden = false;
  document.body.dataset.exercise = "on";
  el.title.textContent = title;
  el.retest.hidden = true;
  el.again.hidden = true;
  el.back.hidden = true;
  el.done.hidden = false;
  el.done.focus(); // Enter or Space ends it; left on the suggestion's button, they started it again
}

/** The exercise is over: test again, or go back to the results (to another suggestion, the PDF). */
function showFinished() {
  const hadFocus = document.activeElement === el.done;
  setText(el.hold, ""); // a countdown or hold stopped half-way ("22 s left") is over
  el.done.hidden = true;
  el.again.hidden = false;
  el.back.hidden = false;
  if (hadFocus) el.again.focus();
}

/** Close the finished exercise's panel and show the test's results again (or the exercises, when it was begun
 * from them), with the guide's buttons. */
function backToResults() {
  clearInterval(ex.timer);
  app.exercise = null;
  el.panel.hidden = true;
  delete document.body.dataset.exercise;
  app.showingProgram = fromProgram;
  app.showingLast = !fromProgram && !!app.last && !(app.state && app.state.phase === "results");
  showView();
  (fromProgram ? $("advice-title") : ui.resultsTitle).focus();
  // The day's checklist again, with what was just stored ("Today: 8 of 16 counted").
  if (fromProgram) {
    storing.then(handedProgram).then((program) => {
      if (app.showingProgram && !app.exercise && program) showAdvice(null, program);
    });
  }
}

/** Where an exercise begun now is kept: ``{sessionId, withProgram}``. With the test saved on this page; begun from
 * the exercises (X) with none, with the program it follows (the clinic's session it came with, the record its own
 * date), so a patient's daily exercises are not lost for want of a test; else nowhere (``sessionId`` null). */
function keptWith() {
  const withProgram = !app.sessionId && fromProgram && followed?.session_id ? followed.session_id : null;
  return { sessionId: app.sessionId || withProgram, withProgram: !!withProgram };
}

/** Ask the server to count it on the camera of this mode, going on from ``reps`` (those counted
 * before): why it cannot, or null. */
async function askToCount(exerciseId, side, reps = [], dose = null) {
  if (app.mode === "browser") { // this device's camera: over its own socket, refused there by an exercise_refused status
    if (!app.ws || app.ws.readyState !== WebSocket.OPEN) return "this device's camera is not connected";
    send({ type: "exercise", action: "start", exercise: exerciseId, side, reps, dose });
    return null;
  }
  try {
    const r = await fetch(httpUrl("api/exercise/start"), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ exercise: exerciseId, side, reps, dose }),
    });
    return r.ok ? null : (await r.json().catch(() => ({}))).detail || `HTTP ${r.status}`;
  } catch (e) {
    return "the hiprom server does not answer";
  }
}

/** Count a camera-followed exercise on the live camera (the session is saved first if it can be), at ``dose``
 * (a home program's; null: the catalogue's). */
export async function startCounted(exerciseId, side, dose = null) {
  const cat = await loadCatalogue();
  const e = cat[exerciseId] || { name: exerciseId };
  const why = await askToCount(exerciseId, side, [], dose);
  showPanel(`${e.name} — ${LEG[side]}`);
  if (dose || e.dose) showProgress(0, dose || e.dose); else { setText(el.set, ""); setText(el.count, "0"); }
  el.hold.textContent = "";
  if (why) { // why, where the person looks, with the way back to the results
    el.say.textContent = `The camera cannot count it: ${why}.`;
    showFinished();
    return;
  }
  // reps: those finished so far, sent back if this device's camera reconnects mid-exercise
  app.exercise = { id: exerciseId, side, dose, ...keptWith(), stored: false, reps: [] };
  Object.assign(ex, { shown: null, spokenCount: 0, spokenRep: 0, heldSaid: false, said: new Set() });
  app.showingLast = false;
  app.showingProgram = false; // the dials while the camera counts
  el.say.textContent = `Sit still with your ${side} foot straight: counting starts in a moment.`;
  say(`${e.name}, ${side} leg. Sit still with your ${side} foot straight.`);
}

/** This device's camera refused the exercise (``exercise_refused``): the reason in the panel, the way back. */
export function exerciseRefused(status) {
  if (!app.exercise || app.exercise.timer) return;
  app.exercise = null;
  el.say.textContent = status.text;
  showFinished();
}

/** A timer-only guide for an exercise the camera does not follow: each hold counted down, spoken. */
function startTimer(e, side) {
  clearInterval(ex.timer);
  showPanel(`${e.name} — ${LEG[side]}`);
  const hold = e.dose.hold_s || 0;
  const total = e.dose.reps * e.dose.sets;
  // What it ran is kept as the camera's count is (``timed``: holds the timer ran, not reps the camera saw).
  const record = { schema: "hiprom.exercise/1", exercise: e.id, side, direction: (e.targets || [])[0] || "internal",
    dose: e.dose, reps_done: 0, reps_target: total, reps_refused: 0, reps: [], timed: true };
  app.exercise = { id: e.id, side, timer: true, ...keptWith(), record };
  let left = hold;
  showProgress(0, e.dose); // its own count, not the one a counted exercise left
  el.say.textContent = e.steps ? e.steps.join(" ") : "";
  say(`${e.name}. Hold ${hold} seconds.`);
  ex.timer = setInterval(() => {
    left -= 1;
    el.hold.textContent = hold ? `${Math.max(0, left)} s left` : "";
    if (left <= 0) {
      record.reps_done += 1; // the holds run down so far: what is kept
      const p = showProgress(record.reps_done, e.dose);
      const finished = record.reps_done >= total;
      say(finished ? "Finished." : p.setEnded ? p.said : `${p.said}. Relax, then again.`);
      if (finished) { clearInterval(ex.timer); finishTimer(); return; }
      left = hold + 3; // 3 s to come back and start again
    }
  }, 1000);
}

function finishTimer() {
  const done = app.exercise;
  app.exercise = null;
  if (done.record.reps_done > 0) storeResult(done.record, done); else showFinished();
}

/** What each rep of a counted exercise asks (its ``state``: the server's ``exercise``), as the panel and
 * the voice say it. Internal rotation turns the foot outward. */
const repWords = (state) => `Turn the foot ${state.direction === "internal" ? "outward" : "inward"}, `
  + `hold ${state.hold_target_s} s, come back.`;

/** The exercise state of a live message (``exercise`` in docs/server.md, null when none): shown and spoken. */
export function updateExercise(state) {
  if (app.mode === "server" && countedUnderWay() && app.exercise.relink) relinked(state);
  if (!state || !app.exercise || app.exercise.timer || state.exercise !== app.exercise.id) return;
  const progress = showProgress(state.reps_done, state.dose || { reps: state.reps_target, sets: 1 });
  if (state.active && state.detail) { // what the count waits for (rest for the lead-in, a rep's return)
    setText(el.say, state.detail);
    // Said once per wait and per rep: two hints taking turns near a threshold are not said over and over.
    const key = `${state.counting}:${state.reps_done}:${state.detail}`;
    if (!ex.said.has(key)) { ex.said.add(key); say(state.detail); }
  }
  if (state.active && state.counting) {
    setText(el.hold, state.in_rep ? `hold ${state.hold_s.toFixed(1)} s of ${state.hold_target_s} s` : "");
    if (state.in_rep && !ex.heldSaid && state.hold_s >= state.hold_target_s) { ex.heldSaid = true; say("Good. Come back."); }
    if (!state.in_rep) ex.heldSaid = false;
    if (!state.last_rep && !state.detail) setText(el.say, repWords(state));
    // Said once counting starts: the voice said only "Sit still", then nothing until "Not counted".
    if (!ex.said.has("counting")) { ex.said.add("counting"); say(repWords(state), false); }
  }
  const last = state.last_rep;
  if (last && last.number === app.exercise.reps.length + 1) app.exercise.reps.push(last);
  // A rep under way lives on this device's connection: if it drops, that rep is cut off (said, not silently lost).
  app.exercise.underWay = Boolean(state.active && state.counting && state.in_rep);
  if (last && last.number > ex.spokenRep) {
    ex.spokenRep = last.number;
    const peak = `${Math.round(last.peak_deg)}°`;
    if (last.counted) {
      el.say.textContent = `Rep ${last.number} counted: ${peak}, held ${last.hold_s.toFixed(1)} s.`;
      say(progress.said);
    } else {
      const why = reasonWords(last.reasons);
      // With what each rep asks: "let go too soon" alone did not say how long to hold.
      el.say.textContent = `Rep ${last.number} not counted: ${why}. ${repWords(state)}`;
      say(`Not counted: ${why}. ${repWords(state)}`);
    }
  }
  if (state.result && !app.exercise.stored) {
    app.exercise.stored = true;
    storeResult(state.result, app.exercise);
  }
}

/** Store the ``result`` (``hiprom.exercise/1``) of ``exercise`` (``app.exercise`` as it was begun) where it is kept. */
async function storeResult(result, exercise) {
  showFinished();
  const id = exercise.sessionId;
  const where = exercise.withProgram ? "your home program" : `session ${id}`;
  const summary = result.timed ? `${result.reps_done} of ${result.reps_target} done with the timer.`
    : `${result.reps_done} of ${result.reps_target} done, ${result.reps_refused} not counted.`;
  if (!id) {
    el.say.textContent = `${summary} Not stored: save the session first.`;
    return;
  }
  const sent = fetch(httpUrl(`api/sessions/${id}/exercise-results`), {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(result),
  });
  storing = sent.catch(() => null);
  const r = await sent;
  // On a touch screen the words name the button, not its key (as the guide's do).
  el.say.textContent = r.ok
    ? `${summary} Stored with ${where}. ${hasKeys() ? "T tests again." : "Tap Test again for a new test."}`
    : `${summary} Not stored (HTTP ${r.status}).`;
  el.panel.dataset.stored = r.ok ? "yes" : "no";
  say(`${result.reps_done} done. ${hasKeys() ? "Press T to test again." : "Tap Test again for a new test."}`);
}

const STOPPED_WHEN_BACK = "It is stopped and stored when the connection is back.";

/** The server's source: stop its count (its record comes in the next message); false when the server does not answer. */
async function stopOnServer() {
  try {
    return (await fetch(httpUrl("api/exercise/stop"), { method: "POST", credentials: "same-origin" })).ok;
  } catch (e) {
    return false;
  }
}

/** End the exercise under way (the server sends its record in the next message). */
export async function stopExercise() {
  if (!app.exercise) return;
  if (app.exercise.timer) { clearInterval(ex.timer); finishTimer(); return; }
  app.exercise.stopping = true; // if the connection drops before the record comes: stopped once it is back
  const linked = app.ws && app.ws.readyState === WebSocket.OPEN && !app.exercise.relink;
  if (linked && app.mode === "browser") send({ type: "exercise", action: "stop" });
  else if (!linked || !(await stopOnServer())) el.say.textContent = `${lostWords()} ${STOPPED_WHEN_BACK}`;
}

/** A counted exercise, not over: what a lost connection (or a server restarted) must not lose. */
const countedUnderWay = () => app.exercise && !app.exercise.timer && !app.exercise.stored;

/** The sides (left, right) of the exercise under way, counted or timed, whose dials the person watches; none after it. */
export function exercisedSides() {
  if (!app.exercise || app.exercise.stored) return [];
  return facts.sides.filter((side) => app.exercise.side === side || app.exercise.side === "both");
}

function lostWords() {
  const n = app.exercise.reps.filter((r) => r.counted).length;
  const reps = `${n} ${n === 1 ? "rep" : "reps"}`;
  if (app.mode !== "browser") return `Connection to the server lost after ${reps}, which are kept.`;
  const cut = cutOff() ? `; rep ${nextRep()} was cut off and is not counted` : "";
  return `Connection lost: the exercise stopped after ${reps}, which are kept${cut}.`;
}

/** The number the next rep gets (those not counted are numbered too). */
const nextRep = () => app.exercise.reps.length + 1;

/** This device's camera lost its connection mid-rep: that rep was counted on the connection, so it is lost. */
const cutOff = () => app.mode === "browser" && app.exercise.underWay;

/** The link dropped. This device's camera: its server-side count is gone, the page keeps the reps.
 * The server's source: the server may count on (a dropped link) or have restarted without it; its
 * first message once the link is back tells (``relinked``). */
export function exerciseConnectionLost() {
  if (!countedUnderWay() || app.exercise.relink) return; // said once, not at every attempt to reconnect
  app.exercise.relink = app.mode === "server";
  setText(el.hold, "");
  const again = cutOff() ? `: do rep ${nextRep()} again` : "";
  el.say.textContent = `${lostWords()} ${app.exercise.stopping ? STOPPED_WHEN_BACK : `It goes on when the connection is back${again}.`}`;
  say(cutOff() && !app.exercise.stopping ? `Connection lost. Rep ${nextRep()} is not counted: do it again.`
    : "Connection lost.");
}

/** The server's source, the first message after a lost link: the server kept the exercise (it goes on,
 * or stops when Done was pressed meanwhile), or it restarted without it (state null or another one):
 * then it starts again from a new lead-in with the reps kept, or stops with them. Before, Done waited for ever. */
async function relinked(state) {
  const mine = app.exercise;
  mine.relink = false;
  const kept = state && state.exercise === mine.id && state.side === mine.side;
  if (!kept) {
    const why = await askToCount(mine.id, mine.side, mine.reps, mine.dose);
    if (app.exercise !== mine) return;
    if (why) {
      app.exercise = null;
      el.say.textContent = `The server restarted and cannot count it: ${why}.`;
      showFinished();
      return;
    }
  }
  if (mine.stopping) {
    if (!(await stopOnServer()) && app.exercise === mine) el.say.textContent = "The server did not stop the count: press Done again.";
    return;
  }
  if (kept) { setText(el.say, "Connection back: counting goes on."); return; }
  ex.said = new Set();
  el.say.textContent = `The server restarted: counting goes on from rep ${nextRep()} once you sit still with your ${mine.side} foot straight.`;
  say(`Sit still with your ${mine.side} foot straight.`);
}

/** The connection is back: the exercise starts again from its lead-in with the reps kept (or is
 * stopped with them, when Done was pressed meanwhile). */
export function exerciseReconnected() {
  if (!countedUnderWay()) return;
  const { id, side, reps, dose, stopping } = app.exercise;
  send({ type: "exercise", action: "start", exercise: id, side, reps, dose });
  if (stopping) { send({ type: "exercise", action: "stop" }); return; }
  ex.said = new Set();
  app.exercise.underWay = false;
  el.say.textContent = `Connection back. Sit still with your ${side} foot straight: counting goes on from rep ${nextRep()} in a moment.`;
  say(`Connection back. Sit still with your ${side} foot straight.`);
}

/** "Test again": the guided test once more; its saved session is compared with the one before. */
export function testAgain() {
  const hadFocus = el.panel.contains(document.activeElement);
  app.retestOf = app.sessionId || null;
  app.exercise = null;
  el.panel.hidden = true;
  delete document.body.dataset.exercise;
  if (hadFocus) ui.next.focus(); // the guide's main button, not the page's top (the panel it was in is gone)
  command("start");
}

/** After a save: a re-test shows its before/after table (GET /api/sessions/{id}/retest). */
export async function afterSave(sessionId) {
  app.sessionId = sessionId;
  const before = app.last && app.last.retestOf;
  if (!before || before === sessionId) return;
  const r = await fetch(httpUrl(`api/sessions/${sessionId}/retest?before=${before}`), { credentials: "same-origin" });
  if (!r.ok) return;
  renderRetest(await r.json());
}

function renderRetest(table) {
  const box = $("retest-results");
  box.hidden = false;
  if (!(table.rows || []).some((r) => r.verdict)) {
    // No figure measured both times (assessment.retest.compared): the server's one sentence, not rows of
    // "not measured before".
    const head = document.createElement("strong");
    head.textContent = `${table.heading[0].toUpperCase()}${table.heading.slice(1)}`;
    const p = document.createElement("p");
    p.id = "retest-none";
    p.textContent = table.summary;
    box.replaceChildren(head, p);
    return;
  }
  const rows = [];
  for (const side of facts.sides) {
    for (const [key, label] of Object.entries(facts.measures)) {
      const row = (table.rows || []).find((x) => x.side === side && (x.measure === key || x.measure === `${key}_deg`));
      if (!row) continue;
      rows.push({ side, label, ...row });
    }
  }
  const tbl = document.createElement("table");
  tbl.id = "retest-table";
  tbl.innerHTML = "<caption></caption><thead><tr><th scope='col'>Measure</th><th scope='col'>Before</th><th scope='col'>After</th><th scope='col'>Change</th><th scope='col'>Verdict</th></tr></thead>";
  // The PDF's words: "before and after the exercises" only when exercises were counted (assessment.retest).
  tbl.caption.textContent = table.heading[0].toUpperCase() + table.heading.slice(1);
  const body = document.createElement("tbody");
  const fmt = (v) => (v === null || v === undefined ? "–" : degrees(v));
  for (const r of rows) {
    const tr = document.createElement("tr");
    const change = r.change_deg === null || r.change_deg === undefined ? "–" : signedDegrees(r.change_deg);
    for (const [text, lab] of [[`${SIDE[r.side]} ${r.label[0].toLowerCase()}${r.label.slice(1)}`, "Measure"], [fmt(r.before_deg), "Before"], [fmt(r.after_deg), "After"], [change, "Change"], [r.verdict || "–", "Verdict"]]) {
      const td = document.createElement("td");
      td.dataset.label = lab;
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.dataset.verdict = r.verdict || "";
    body.appendChild(tr);
  }
  tbl.appendChild(body);
  box.replaceChildren(tbl);
}

/** Keys of this part; true when the key was used. */
export function exerciseKey(k) {
  if (k === "Escape" && !el.back.hidden && !el.panel.hidden) { backToResults(); return true; }
  if (app.exercise && [" ", "Enter", "Escape"].includes(k)) { stopExercise(); return true; }
  if (k === "t" && !el.again.hidden && !el.panel.hidden) { testAgain(); return true; }
  if (k === "e" && document.body.dataset.view === "results") {
    const b = el.list.querySelector("button[data-key='e']");
    if (b) { b.click(); return true; }
  }
  return false;
}

el.done.addEventListener("click", stopExercise);
el.again.addEventListener("click", testAgain);
el.back.addEventListener("click", backToResults);
