/* Saving a finished test as a session in the records store, and its PDF report link. */

import { $, app, ui } from "./state.js";
import { httpUrl } from "./connection.js";
import { offerReference, withdrawReference } from "./reference.js";

/** New results: nothing saved yet; saving offered when the server keeps records. */
export function resetSave() {
  app.savedFor = null;
  ui.saveStatus.textContent = "";
  ui.saveStatus.className = "save-status";
  ui.save.disabled = !app.info.records;
  ui.save.title = app.info.records ? "" : "Saving is not available on this server (no records store).";
  ui.report.setAttribute("aria-disabled", "true");
  ui.report.href = "#";
  withdrawReference();
}

/** Save the finished test: its full analysis, then a new session in the records store. */
export async function saveSession() {
  const res = app.state && app.state.results;
  if (!res || ui.save.disabled) return;
  ui.save.disabled = true;
  ui.saveStatus.className = "save-status";
  ui.saveStatus.textContent = "Saving…";
  try {
    const a = await fetch(httpUrl(`api/results/${res.result_id}`), { credentials: "same-origin" });
    if (!a.ok) throw new Error((await a.json().catch(() => ({}))).detail || `HTTP ${a.status}`);
    const analysis = await a.json();
    const subject = $("subject").value.trim() || null;
    const steps = (app.state.steps || []).map((s) => ({ side: s.side, direction: s.direction, trials: s.trials, note: s.note }));
    const r = await fetch(httpUrl("api/sessions"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        analysis,
        subject,
        camera: app.source ? app.source.label : null,
        settings: { mode: app.mode === "browser" ? "browser camera" : "server source", guided_test: steps },
        result_id: res.result_id,
      }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${r.status}`);
    app.savedFor = res.result_id;
    ui.saveStatus.className = "save-status ok";
    ui.saveStatus.textContent = `Saved as session ${body.id}${body.subject ? ` of ${body.subject}` : ""}`;
    offerReference(body.id);
    if (body.report_url) {
      ui.report.href = httpUrl(body.report_url.replace(/^\//, "") + "?download=1");
      ui.report.setAttribute("aria-disabled", "false");
      ui.report.focus();
    }
  } catch (e) {
    ui.save.disabled = false;
    ui.saveStatus.className = "save-status error";
    ui.saveStatus.textContent = `Not saved: ${e.message}`;
  }
}
