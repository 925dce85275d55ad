/* Buttons and keys: Space/Enter = next, R = redo, Escape = cancel. */

import { $, app, ui } from "./state.js";
import { command, RESTART_PHASES } from "./guide.js";
import { saveSession } from "./records.js";

/** Wire the buttons and the keyboard; ``setMode`` switches between server and device camera. */
export function bindInput({ setMode }) {
  ui.next.addEventListener("click", () => command(app.state && RESTART_PHASES.includes(app.state.phase) ? "start" : "next"));
  ui.redo.addEventListener("click", () => command("redo"));
  ui.cancel.addEventListener("click", () => command("cancel"));
  ui.save.addEventListener("click", saveSession);
  ui.again.addEventListener("click", () => command("start"));
  ui.close.addEventListener("click", () => command("cancel"));
  ui.report.addEventListener("click", (ev) => { if (ui.report.getAttribute("aria-disabled") === "true") ev.preventDefault(); });
  $("mode-server").addEventListener("click", () => setMode("server"));
  $("mode-browser").addEventListener("click", () => setMode("browser"));
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return; // typing, not commands
    const onControl = ["BUTTON", "A"].includes(tag);
    if (ev.key === " " || ev.key === "Enter") {
      if (onControl) return; // the focused control handles its own activation
      ev.preventDefault();
      ui.next.click();
    } else if (ev.key === "r" || ev.key === "R") {
      ev.preventDefault();
      command("redo");
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      command("cancel");
    }
  });
}
