/* The guided self-test: steps, prompt, checks, countdown ring, the tick with its beep,
 * and which view the stage shows (live dials, or the results). */

import { app, degrees, hasKeys, setChildren, setText, ui } from "./state.js";
import { send } from "./connection.js";
import { renderResults } from "./results.js";
import { streamPreview } from "./preview.js";
import { keepAnalysis } from "./records.js";
import { speakGuide, say } from "./speech.js";
import { testUnderWayElsewhere, testUnderWayHere } from "./tabs.js";

/** Phases after which the main button starts a new test. */
/** The reminder under unsaved results, in keys on a keyboard and in buttons on a touch screen. */
export const saveFirst = () => (hasKeys()
  ? "Save the session (S) before running the test again (Space)."
  : "Save the session before running the test again.");

export const RESTART_PHASES = ["idle", "results"];
/** Phases of a test under way. */
const UNDER_WAY = ["setup", "calibrate", "trial", "analyzing"];

/** The connection dropped: a guided test under way on this device's camera is over (its guide
 * lived on the connection; the server's own guide outlives a lost page). */
export function guideConnectionLost() {
  if (app.mode === "browser" && app.state && UNDER_WAY.includes(app.state.phase)) app.testLost = "lost";
  testUnderWayHere(false);
}

const testLostWords = () => (hasKeys()
  ? "The connection was lost, which stopped the test: press Space to run it again."
  : "The connection was lost, which stopped the test: press Start test to run it again.");

/** Whether a finished test is on screen and not saved yet. */
export function unsavedShown() {
  return document.body.dataset.view === "results" && app.last && app.savedFor !== app.last.results.result_id;
}

/** Whether reloading or closing the page would lose a test: on this device's camera the guide lives on the
 * page's connection, so a test under way or results not saved yet go with it (the server camera's guide
 * outlives the page, and a page opened again shows its state). */
export function wouldLoseTest() {
  return app.mode === "browser" && Boolean((app.state && UNDER_WAY.includes(app.state.phase)) || unsavedShown());
}

/** The line under finished ``results``: save them first, or saved and how to run the test again. */
function resultsDetail(results) {
  if (app.savedFor !== results.result_id) return saveFirst();
  return hasKeys() ? "Saved. Space runs the test again." : "Saved. Run again starts a new test.";
}

/** The results on screen were saved: the line under them says so now, and a "These results are not saved"
 * asked for a second key is over. It waited for the server's next message, which a video that has ended
 * never sends: "Saved as session #1" stood over "Save the session (S) before running the test again". */
export function showSaved() {
  const state = app.state;
  app.confirm = null;
  ui.detail.className = "detail";
  setText(ui.detail, state && state.phase === "results" && state.results && !state.error
    ? resultsDetail(state.results) : (state && state.detail) || "");
}

const OTHER_TAB = "A test is under way in another tab of this page: finish or cancel it there first (one test at a time).";
const OTHER_TAB_MS = 8000;

/** Send a guide command (start, next, redo, cancel) to the server; refused while nothing can be measured, and on
 * this device's camera while another tab of this browser has a test under way. */
export async function command(action) {
  const starting = action === "start" || (action === "next" && app.state && RESTART_PHASES.includes(app.state.phase));
  if (starting && app.blocked) {
    ui.detail.textContent = `The test cannot start: ${app.blocked.text}`;
    ui.detail.className = "detail confirm";
    say("The test cannot start. " + app.blocked.text);
    return;
  }
  if (starting && app.mode === "browser" && await testUnderWayElsewhere()) {
    // Held over the next messages' lines for a while, as a question asked (app.confirm), then the guide's own.
    const held = { key: "other tab", until: performance.now() + OTHER_TAB_MS };
    app.confirm = held;
    ui.detail.textContent = OTHER_TAB;
    ui.detail.className = "detail confirm";
    say(OTHER_TAB);
    setTimeout(() => { if (app.confirm === held) showSaved(); }, OTHER_TAB_MS);
    return;
  }
  if (starting) {
    ensureAudio();
    app.showingLast = false;
    app.showingProgram = false;
  }
  send({ type: "command", action });
}

function renderSteps(state) {
  const items = [];
  const phase = state.phase;
  const cur = phase === "trial" ? state.step_index : null;
  // ``words``: what a screen reader says instead of the chip's short form ("R IR ✓✗ 38°"), also its tooltip.
  // A step done says so in words and, where it has no trial marks (Set-up, Calibrate), with a ✓: not in
  // green alone, which colour blindness and high contrast lose and a screen reader never said.
  const mk = (label, cls, extra, words) => {
    const li = document.createElement("li");
    if (cls) li.className = cls;
    if (cls === "current") li.setAttribute("aria-current", "step");
    if (cls === "done") {
      words = `${words || label}, done`;
      if (!extra) label = `✓ ${label}`;
    }
    const shown = words ? document.createElement("span") : li;
    shown.append(label);
    if (extra) { const s = document.createElement("span"); s.className = "trials"; s.textContent = extra; shown.appendChild(s); }
    if (words) {
      shown.setAttribute("aria-hidden", "true");
      const said = document.createElement("span");
      said.className = "visually-hidden";
      said.textContent = words;
      li.append(shown, said);
      li.title = words;
    }
    return li;
  };
  const started = phase !== "idle";
  items.push(mk("Set-up", phase === "setup" ? "current" : started && phase !== "setup" ? "done" : ""));
  items.push(mk("Calibrate", phase === "calibrate" ? "current" : state.calibrated ? "done" : ""));
  state.steps.forEach((s, i) => {
    const marks = s.trials.map((t) => (t.valid ? "✓" : "✗")).join("");
    // The figure as the results table gives it, one decimal (a chip said "30°" beside the table's 29.6°).
    const value = s.value_deg !== null ? ` ${degrees(s.value_deg)}` : "";
    const counted = s.trials.filter((t) => t.valid).length;
    const refused = s.trials.length - counted;
    const words = [s.label, counted ? `${counted} counted` : "", refused ? `${refused} not counted` : "", value.trim()]
      .filter(Boolean).join(", ");
    items.push(mk(s.short, i === cur ? "current" : s.done ? "done" : "", (marks + value).trim(), words));
  });
  items.push(mk("Results", phase === "results" ? "current" : ""));
  setChildren(ui.steps, items);
}

function renderChecks(checks) {
  setChildren(ui.checks, checks.map((c) => {
    const li = document.createElement("li");
    li.className = c.ok ? "ok" : c.required === false ? "advice" : "bad";
    li.textContent = c.label;
    if (!c.ok) li.title = c.hint;
    return li;
  }));
}

/** Show the live dials, or the results of ``app.last`` (the server's newest, or kept from before). */
export function showView() {
  const phase = app.state ? app.state.phase : "idle";
  const results = (phase === "results" && app.state.results) || app.showingLast;
  if (phase !== "idle") app.showingProgram = false; // a test began (on the server camera, perhaps from another page)
  const program = app.showingProgram && !results;
  const hadFocus = !ui.results.hidden && ui.results.contains(document.activeElement);
  const view = (results && app.last) || program ? "results" : "live";
  if (program) document.body.dataset.program = "on"; else delete document.body.dataset.program;
  if (view !== document.body.dataset.view) {
    document.body.dataset.view = view;
    streamPreview(); // the results hide the picture: not sent meanwhile
  }
  ui.results.hidden = document.body.dataset.view !== "results";
  // Closed under the keyboard's focus: it goes to the guide's main button ("Start test"), not to the page's top.
  if (hadFocus && ui.results.hidden) ui.next.focus();
  ui.last.hidden = !app.last || phase === "results" || app.showingLast;
  ui.program.hidden = !app.info.home || phase !== "idle" || app.showingLast || program;
  ui.redo.hidden = !ui.program.hidden; // Exercises stands in its place (index.html)
  setText(ui.resultsTitle, phase === "results" ? "Results" : "Last result");
  if (phase !== "results") {
    setText(ui.cancelLabel, app.showingLast || program ? "Back" : "Cancel");
  }
}

/** Show the guide's state as the server sent it (``exercise``: the counted exercise of the same message). */
export function updateGuide(state, exercise = null) {
  if (!state) return;
  const prev = app.state;
  app.state = state;
  ui.guide.dataset.phase = state.phase;
  ui.guide.dataset.sub = state.sub || "";
  const subChanged = !prev || prev.phase !== state.phase || prev.sub !== state.sub || prev.step_index !== state.step_index;
  if (subChanged) app.confirm = null;
  setText(ui.prompt, state.prompt || "");
  if (!app.confirm) {
    ui.detail.className = "detail";
    let detail = state.detail || ""; // a trial's verdict is in it once that trial has closed
    if (state.phase === "results" && !state.results && state.error) detail = state.error;
    if (state.phase === "results" && state.results && !state.error) detail = resultsDetail(state.results);
    if (app.testLost && state.phase === "idle") detail = testLostWords(); // not a silent return to the start
    else if (state.phase === "idle" && !detail && app.info.last_test) detail = app.info.last_test.words;
    setText(ui.detail, detail);
  }
  if (state.phase !== "idle") app.testLost = null;
  testUnderWayHere(app.mode === "browser" && UNDER_WAY.includes(state.phase));
  if (app.testLost === "lost" && state.phase === "idle") { app.testLost = "said"; say(testLostWords()); }
  renderChecks(state.checks || []);
  renderSteps(state);
  const label = { idle: "Start test", results: "Run again" }[state.phase]
    || { setup: "Skip check", calibrate: "Calibrate now", trial: "Skip step", analyzing: "Next" }[state.phase] || "Next";
  setText(ui.nextLabel, label);
  setText(ui.cancelLabel, state.phase === "results" ? "Close" : "Cancel");
  ui.redo.disabled = !["setup", "calibrate", "trial", "results"].includes(state.phase);
  ui.cancel.disabled = state.phase === "idle" && !app.showingLast && !app.showingProgram;
  // Countdown ring: hold, calibration and set-up (hidden at once when the phase moves on).
  const total = state.hold_s;
  if (state.countdown_s !== null && state.countdown_s !== undefined && total) {
    ui.countdown.classList.add("on");
    const frac = Math.max(0, Math.min(1, 1 - state.countdown_s / total));
    ui.ring.style.strokeDashoffset = String(264 * (1 - frac));
    ui.countdownText.textContent = state.countdown_s > 0 ? state.countdown_s.toFixed(1) : "✓";
    ui.countdownText.classList.toggle("seconds", state.countdown_s > 0);
  } else {
    ui.countdown.classList.remove("on");
  }
  const phaseChanged = prev && prev.phase !== state.phase;
  if (phaseChanged) ui.tick.classList.remove("show"); // no tick lingers into the next phase
  if (app.tickSeq !== null && state.tick_seq > app.tickSeq) {
    // The calibration's tick comes with the first trial's prompt: a beep only, the picture stays clear.
    if (phaseChanged) beep(); else showTick();
  }
  app.tickSeq = state.tick_seq;
  let finished = false;
  if (state.phase === "results" && state.results) {
    if (!app.last || app.last.results.result_id !== state.results.result_id) {
      // A new test finished: it replaces the kept one.
      app.last = { results: state.results, steps: state.steps, analysis: null };
      app.showingLast = false;
      renderResults(state.results);
      keepAnalysis(app.last);
      finished = true;
    }
  }
  showView();
  if (finished) focusResults();
  speakGuide(prev, state, exercise);
}

/** Take the reader to the results that replaced the live view: a screen reader says their heading and
 * the left/right verdict (its description); nothing typed into a field is interrupted. */
export function focusResults() {
  const typing = document.activeElement && ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (!typing && !ui.results.hidden) ui.resultsTitle.focus();
}

function showTick() {
  ui.tick.classList.remove("show");
  void ui.tick.offsetWidth; // restart the animation
  ui.tick.classList.add("show");
  beep();
}

/** The beep needs an AudioContext made after a user gesture. */
export function ensureAudio() {
  if (!app.audio && (window.AudioContext || window.webkitAudioContext)) {
    try { app.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { app.audio = null; }
  }
  if (app.audio && app.audio.state === "suspended") app.audio.resume().catch(() => {});
}
function beep() {
  const ctx = app.audio;
  if (!ctx || ctx.state !== "running") return;
  const osc = ctx.createOscillator(), gain = ctx.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.0001, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
  osc.connect(gain).connect(ctx.destination);
  osc.start(); osc.stop(ctx.currentTime + 0.3);
}
