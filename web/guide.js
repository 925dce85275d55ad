/* The guided self-test: steps, prompt, checks, countdown ring and the tick with its beep. */

import { app, ui } from "./state.js";
import { send } from "./connection.js";
import { renderResults } from "./results.js";

/** Phases after which the main button starts a new test. */
export const RESTART_PHASES = ["idle", "results"];

/** Send a guide command (start, next, redo, cancel) to the server. */
export function command(action) {
  if (action === "start" || (action === "next" && app.state && RESTART_PHASES.includes(app.state.phase))) {
    ensureAudio();
  }
  send({ type: "command", action });
}

function renderSteps(state) {
  const items = [];
  const phase = state.phase;
  const cur = phase === "trial" ? state.step_index : null;
  const mk = (label, cls, extra) => {
    const li = document.createElement("li");
    li.textContent = label;
    if (cls) li.className = cls;
    if (extra) { const s = document.createElement("span"); s.className = "trials"; s.textContent = extra; li.appendChild(s); }
    return li;
  };
  const started = phase !== "idle";
  items.push(mk("Set-up", phase === "setup" ? "current" : started && phase !== "setup" ? "done" : ""));
  items.push(mk("Calibrate", phase === "calibrate" ? "current" : state.calibrated ? "done" : ""));
  state.steps.forEach((s, i) => {
    const marks = s.trials.map((t) => (t.valid ? "✓" : "✗")).join("");
    const value = s.value_deg !== null ? ` ${Math.round(s.value_deg)}°` : "";
    items.push(mk(s.short, i === cur ? "current" : s.done ? "done" : "", (marks + value).trim()));
  });
  items.push(mk("Results", phase === "results" ? "current" : ""));
  ui.steps.replaceChildren(...items);
}

function renderChecks(checks) {
  ui.checks.replaceChildren(...checks.map((c) => {
    const li = document.createElement("li");
    li.className = c.ok ? "ok" : "bad";
    li.textContent = c.label;
    return li;
  }));
}

/** Show the guide's state as the server sent it. */
export function updateGuide(state) {
  if (!state) return;
  const prev = app.state;
  app.state = state;
  ui.guide.dataset.phase = state.phase;
  ui.guide.dataset.sub = state.sub || "";
  ui.prompt.textContent = state.prompt || "";
  ui.detail.textContent = state.last_trial && state.sub === "return" ? `${state.last_trial}. ${state.detail || ""}` : state.detail || "";
  renderChecks(state.checks || []);
  renderSteps(state);
  const label = { idle: "Start test", results: "Run again" }[state.phase]
    || { setup: "Skip check", calibrate: "Calibrate now", trial: "Skip step", analyzing: "Next" }[state.phase] || "Next";
  ui.nextLabel.textContent = label;
  ui.redo.disabled = !["setup", "calibrate", "trial", "results"].includes(state.phase);
  ui.cancel.disabled = state.phase === "idle";
  // Countdown ring: hold, calibration and set-up.
  const total = state.hold_s;
  if (state.countdown_s !== null && state.countdown_s !== undefined && total) {
    ui.countdown.classList.add("on");
    const frac = Math.max(0, Math.min(1, 1 - state.countdown_s / total));
    ui.ring.style.strokeDashoffset = String(264 * (1 - frac));
    ui.countdownText.textContent = state.countdown_s > 0 ? state.countdown_s.toFixed(1) : "✓";
  } else {
    ui.countdown.classList.remove("on");
  }
  if (app.tickSeq !== null && state.tick_seq > app.tickSeq) showTick();
  app.tickSeq = state.tick_seq;
  if (state.phase === "results" && state.results) {
    if (!prev || prev.phase !== "results" || !ui.results.dataset.rid || ui.results.dataset.rid !== state.results.result_id) {
      renderResults(state.results);
    }
    ui.results.hidden = false;
    ui.guide.classList.add("has-results");
  } else {
    ui.results.hidden = true;
    ui.results.dataset.rid = "";
    ui.guide.classList.remove("has-results");
  }
  if (state.phase === "results" && !state.results && state.error) ui.detail.textContent = state.error;
}

function showTick() {
  ui.tick.classList.remove("show");
  void ui.tick.offsetWidth; // restart the animation
  ui.tick.classList.add("show");
  beep();
}
function ensureAudio() {
  try {
    if (!app.audio) app.audio = new (window.AudioContext || window.webkitAudioContext)();
    if (app.audio.state === "suspended") app.audio.resume();
  } catch (e) { app.audio = null; }
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
