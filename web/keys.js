/* Buttons and keys: Space/Enter = next, R = redo, Esc = cancel, S = save, D = download,
 * L = last result, X = exercises (the home program), M = voice on/off. Discarding unsaved results takes a
 * second press. */

import { $, app, hasKeys, ui } from "./state.js";
import { command, focusResults, RESTART_PHASES, saveFirst, showView, unsavedShown } from "./guide.js";
import { downloadReport, saveSession } from "./records.js";
import { say, toggleSpeech } from "./speech.js";
import { exerciseKey, openProgram } from "./exercises.js";

const CONFIRM_MS = 8000;

/** Run ``action`` now, or, with unsaved results on screen, only on the second press within CONFIRM_MS. */
function guarded(key, what, action) {
  if (!unsavedShown()) { app.confirm = null; action(); return; }
  const now = performance.now();
  if (app.confirm && app.confirm.key === key && now < app.confirm.until) {
    app.confirm = null;
    action();
    return;
  }
  app.confirm = { key, until: now + CONFIRM_MS };
  ui.detail.className = "detail confirm";
  // On a touch screen the button pressed is named ("Tap Close once more"), not its key.
  const button = (key === "Space" ? ui.nextLabel : ui.cancelLabel).textContent;
  const keys = hasKeys();
  const press = keys ? `Press ${key} again` : `Tap ${button} once more`;
  ui.detail.textContent = `These results are not saved. ${press} to ${what}, ${keys ? "or S to save them first" : "or Save to keep them first"}.`;
  say(`The results are not saved. ${press.replace("Press Esc ", "Press Escape ")} to ${what}.`);
  setTimeout(() => {
    if (app.confirm && performance.now() >= app.confirm.until) {
      app.confirm = null;
      ui.detail.className = "detail";
      if (app.state) ui.detail.textContent = saveFirst();
    }
  }, CONFIRM_MS + 50);
}

function next() {
  const restart = !app.state || RESTART_PHASES.includes(app.state.phase);
  if (restart) guarded("Space", "start a new test", () => command("start"));
  else command("next");
}

function cancel() {
  if (app.showingProgram) { // the exercises shown from the start: back to it
    app.showingProgram = false;
    showView();
    ui.program.focus();
    return;
  }
  if (app.showingLast && (!app.state || app.state.phase !== "results")) {
    guarded("Esc", "leave them", () => { app.showingLast = false; showView(); });
    return;
  }
  // Closing keeps the results: "Last result" (L) shows them again until a new test finishes.
  guarded("Esc", "close them", () => command("cancel"));
}

function showLast() {
  if (!app.last || (app.state && app.state.phase === "results")) return;
  app.showingProgram = false;
  app.showingLast = true;
  showView();
  focusResults();
}

/** Wire the buttons and the keyboard; ``setMode`` switches between server and device camera. */
export function bindInput({ setMode }) {
  ui.next.addEventListener("click", next);
  ui.redo.addEventListener("click", () => command("redo"));
  ui.cancel.addEventListener("click", cancel);
  ui.last.addEventListener("click", showLast);
  ui.program.addEventListener("click", openProgram);
  ui.save.addEventListener("click", saveSession);
  ui.speech.addEventListener("click", toggleSpeech);
  ui.report.addEventListener("click", (ev) => { ev.preventDefault(); downloadReport(); });
  ui.subject.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); saveSession(); }
  });
  $("mode-server").addEventListener("click", () => setMode("server"));
  $("mode-browser").addEventListener("click", () => setMode("browser"));
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return; // typing, not commands
    if (ev.target && ev.target.closest && ev.target.closest("dialog[open]")) return; // its own keys (Esc closes it)
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    // A focused button takes Space and Enter, a link Enter only: Space on the PDF link (where Save leaves the
    // focus) did nothing, under "Saved. Space runs the test again."
    const onControl = tag === "BUTTON" || (tag === "A" && k === "Enter");
    const actions = {
      " ": next, Enter: next, r: () => command("redo"), Escape: cancel,
      s: saveSession, d: downloadReport, l: showLast, x: openProgram, m: toggleSpeech,
    };
    if ((k === " " || k === "Enter") && onControl) return; // the focused control handles its own activation
    if (exerciseKey(k)) { ev.preventDefault(); return; }
    if (!actions[k]) return;
    ev.preventDefault();
    if (k === "s" || k === "d") { if (document.body.dataset.view === "results" && !app.showingProgram) actions[k](); return; }
    actions[k]();
  });
}
