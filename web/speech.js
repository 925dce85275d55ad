/* Spoken guidance: the person sitting two metres away hears what to do next.
 *
 * Uses the browser's speech synthesis, which queues and speaks on its own:
 * nothing here waits for it, so speech never holds up the page. On by
 * default; the toggle (button or M) is remembered in localStorage.
 * Every request is also recorded in ``window.hiprom.spoken`` ({text, t_ms}),
 * so tests can check that the page asked to speak at each step.
 */

import { ui } from "./state.js";

const KEY = "hiprom.speech";
const spoken = [];
window.hiprom = Object.assign(window.hiprom || {}, { spoken });

let on = localStorage.getItem(KEY) !== "off";
// Two tabs on the same server get the same guide: only the tab used last speaks, or the two voices
// talk over each other. Using a tab (focus, a key, a tap) tells the others, by BroadcastChannel.
const TAB = Math.random().toString(36).slice(2);
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("hiprom.speech") : null;
let speaker = true;
/** This tab speaks from now on (``always``: say so even if it already does, as a tab just opened). */
function claim(always = false) {
  if (speaker && !always) return;
  speaker = true;
  if (tabs) tabs.postMessage(TAB);
  paint();
}
if (tabs) tabs.onmessage = (e) => { if (e.data !== TAB) { speaker = false; paint(); } };
for (const type of ["focus", "keydown", "pointerdown"]) window.addEventListener(type, () => claim(), true);
let lastKey = "";
let lastHintAt = 0;
let lastAdvice = "";
let lastCount = null;
let lastRun = null;

/** The toggle keeps one name, "Voice", and says its state as pressed or not (a name that changed with
 * it, "Voice on" then "Voice off", had a screen reader say "Voice off, not pressed"); the "on"/"off"
 * seen beside the name is for the eye only. */
function paint() {
  ui.speech.setAttribute("aria-pressed", String(on));
  ui.speechState.textContent = !on ? "off" : speaker ? "on" : "other tab";
}
claim(true); // a tab just opened is the one in use

/** Switch spoken guidance on or off (remembered). */
export function toggleSpeech() {
  on = !on;
  localStorage.setItem(KEY, on ? "on" : "off");
  if (!on && window.speechSynthesis) window.speechSynthesis.cancel();
  paint();
}

/** Words for the ear: symbols read out. */
function forEar(text) {
  return text.replace(/[✓✗]/g, "").replace(/°/g, " degrees")
    .replace(/\b(\d+(?:\.\d+)?) s\b/g, (_, n) => `${n} ${n === "1" ? "second" : "seconds"}`).replace(/(\d)×(\d)/g, "$1 by $2").replace(/\.\.\.|…/g, "").replace(/\s+/g, " ").trim();
}

/** Ask the browser to speak ``text``; ``interrupt`` drops what is still queued (it is out of date). */
export function say(text, interrupt = true) {
  if (!on || !text || !speaker) return;
  const words = forEar(text);
  spoken.push({ text: words, t_ms: Math.round(performance.now()) });
  const synth = window.speechSynthesis;
  if (!synth || !window.SpeechSynthesisUtterance) return;
  try {
    if (interrupt) synth.cancel();
    const u = new SpeechSynthesisUtterance(words);
    u.lang = document.documentElement.lang || "en";
    synth.speak(u);
  } catch (e) { /* speech is a help, never a reason to stop */ }
}

/** What the guide asks for now, as said when its phase or step began ("" when no test is under way). */
function guideWords(state) {
  if (!state) return "";
  if (state.phase === "setup") return "Camera set-up. Sit facing the camera, knees and feet in the picture.";
  if (state.phase === "calibrate") return "Sit still, shins straight down, for the calibration.";
  if (state.phase === "results") return state.results ? "Test finished. Your results are on the screen." : state.prompt;
  return state.phase === "idle" ? "" : state.prompt;
}

/** Say ``lead`` and where the guided test is: the person was away (the tab hidden, the camera gone, the server
 * silent) and heard nothing meanwhile; coming back, nothing told them what the guide now asked for. */
export function sayWhereItIs(lead, state) {
  say([lead, guideWords(state)].filter(Boolean).join(" "));
}

/** The trials closed since ``prev``, oldest first: every one, even when a slow page missed the
 * messages in between (the server drops a slow client's oldest). */
function closedSince(prev, state) {
  if (!prev) return [];
  const said = prev.trial_seq || 0;
  return state.steps.flatMap((s) => s.trials).filter((t) => t.seq > said).sort((a, b) => a.seq - b.seq);
}

/** Speak what changed in the guide's state: a trial's verdict once it has closed, a new step, the countdown.
 * ``exercise``: the counted exercise of the same message (the server closes the guide when one starts). */
export function speakGuide(prev, state, exercise = null) {
  const key = `${state.phase}|${state.step_index}|${state.sub}`;
  const changed = key !== lastKey;
  lastKey = key;
  // The verdict of each trial that closed (never at the return, before it is judged), then what comes next;
  // a trial that did not count says what to do about it ("Not counted: keep both hips on the seat.").
  const verdicts = closedSince(prev, state);
  verdicts.forEach((t, i) => say(t.valid ? "Counted." : `Not counted: ${t.advice}.`, i === 0));
  const closed = verdicts.length > 0;
  if (changed) {
    lastCount = null;
    lastRun = state.countdown_run;
    if (state.phase === "setup") lastHintAt = performance.now();
    if (["setup", "calibrate"].includes(state.phase)) {
      say(guideWords(state));
    } else if (state.phase !== "idle" || (prev && prev.phase !== "idle" && !(exercise && exercise.active))) {
      // Not the idle guide's "Press Start test" when an exercise takes over: it cut the exercise's first words.
      // A test stopped by the server says why and what to do (this computer too busy, the file ended).
      say(guideWords(state) || (state.phase === "idle" && state.detail) || state.prompt, !closed);
    }
    return;
  }
  const now = performance.now();
  // A check that only advises (a small camera picture) is said once on this page, after the set-up's first words;
  // too few pictures a second after the set-up comes as such a check too, during the test.
  const advice = (state.checks || []).filter((c) => !c.ok && c.required === false).map((c) => c.hint).join(" ");
  if (advice && advice !== lastAdvice) {
    lastAdvice = advice;
    say(advice, false);
  }
  if (state.phase === "setup" && state.detail && (state.checks || []).some((c) => !c.ok && c.required) && now - lastHintAt > 8000) {
    lastHintAt = now;
    say(state.detail, false);
  }
  // A new countdown of the calibration (the shins moved after it had counted): said why, in the guide's words,
  // and its seconds read out afresh. Before, it said "1", and later "1" again, without a word between.
  if (lastRun !== null && state.countdown_run > lastRun) {
    say(state.detail, false);
    lastCount = null;
  }
  lastRun = state.countdown_run;
  // Whole seconds of a countdown of two seconds or more (the calibration), read out, each once per countdown:
  // a still time trimmed by a few frames (1.0 s left, then 1.1 s, then 0.9 s) does not say "1" twice.
  if (state.countdown_s !== null && state.countdown_s !== undefined && state.hold_s >= 2) {
    const n = Math.ceil(state.countdown_s);
    if (n > 0 && lastCount !== null && n < lastCount) say(String(n), false);
    if (lastCount === null || n < lastCount) lastCount = n;
  } else {
    lastCount = null; // no countdown on screen: the next one is read out whole
  }
}

paint();
