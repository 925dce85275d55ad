/* Saving a finished test as a session in the records store, and downloading its PDF report on the paper
 * chosen beside it (the server's, until this browser chose another: remembered in localStorage) and its
 * data as a CSV file (the table chosen beside it, written as the spreadsheet here reads it: see offerCsvStyle) and as the
 * file for the clinic (its JSON export, which the clinic imports). A saved session then offers its reference
 * readings (reference.js) and the correction of its subject (corrections.js). */

import { app, hasKeys, ui } from "./state.js";
import { httpUrl } from "./connection.js";
import { offerReference, withdrawReference } from "./reference.js";
import { offerCorrection, withdrawCorrection } from "./corrections.js";
import { offerHandOver, withdrawHandOver } from "./handover.js";
import { offerHomeFile, withdrawHomeFile } from "./homefile.js";
import { offerVisits, withdrawVisits } from "./visits.js";
import { afterSave } from "./exercises.js";
import { showSaved } from "./guide.js";
import { onPaper } from "./paper.js";

const PAPER_KEY = "hiprom.paper";
const CSV_STYLE_KEY = "hiprom.csv-style";

/** Offer the server's papers (/api/info), the one this browser chose before selected, else the server's own;
 * none on a server that keeps no records (it makes no PDF). */
export function offerPaper() {
  const papers = app.info.papers || [];
  const kept = localStorage.getItem(PAPER_KEY);
  const chosen = papers.some((p) => p.name === kept) ? kept : app.info.paper;
  ui.paper.replaceChildren(...papers.map((p) => new Option(p.words, p.name, false, p.name === chosen)));
  ui.paperRow.hidden = papers.length < 2 || !app.info.records;
}

/** The report's address on the chosen paper (``?paper=``). */
const reportHref = () => onPaper(app.reportUrl);

/** Offer the CSV's two styles (the server's ``?csv-style=``), the one this browser chose before selected, else the
 * one its language writes numbers in: Excel opens a CSV by a double-click with the computer's own list separator,
 * and where the decimal mark is a comma (Germany, France, ...) it showed a comma-separated file as one column. The
 * browser's language is the nearest the page can know of that setting, so the choice stays in the person's hands. */
export function offerCsvStyle() {
  const kept = localStorage.getItem(CSV_STYLE_KEY);
  const comma = new Intl.NumberFormat(navigator.language).format(1.5).includes(",");
  ui.csvStyle.value = ["commas", "semicolons"].includes(kept) ? kept : comma ? "semicolons" : "commas";
  ui.csvRow.hidden = !app.info.records;
  ui.csvTableRow.hidden = !app.info.records;
  ui.csv.hidden = !app.info.records;
  ui.export.hidden = !app.info.records; // the file for the clinic, like the CSV, is a stored session's
}

/** The chosen table's CSV (the server's ``?table=``: the PDF's range of motion, trials, angle over time or
 * exercises done; before, the page offered the first alone) in the chosen style, and the file name it is saved under. */
function offerCsv() {
  if (!app.csvUrl) return;
  const url = new URL(app.csvUrl, location.href);
  url.searchParams.set("table", ui.csvTable.value);
  url.searchParams.set("csv-style", ui.csvStyle.value);
  ui.csv.href = url.href;
  ui.csv.download = `hiprom-session-${app.csvSession}.${ui.csvTable.value}.csv`;
}

ui.csvStyle.addEventListener("change", () => {
  localStorage.setItem(CSV_STYLE_KEY, ui.csvStyle.value);
  offerCsv();
});
ui.csvTable.addEventListener("change", offerCsv);

// The server sends the CSV as a download: the link's own, once saved; before, it says what to do.
ui.csv.addEventListener("click", (ev) => {
  if (app.csvUrl) return;
  ev.preventDefault();
  saveStatus("warn", app.info.records ? "Save the session first, then download the CSV." : "No CSV: this server keeps no records.");
});

// The file for the clinic is the saved session's: before, the link says what to do.
ui.export.addEventListener("click", (ev) => {
  if (ui.export.getAttribute("aria-disabled") === "false") return;
  ev.preventDefault();
  saveStatus("warn", app.info.records ? "Save the session first, then download the file for your clinic." : "No file for your clinic: this server keeps no records.");
});

ui.paper.addEventListener("change", () => {
  localStorage.setItem(PAPER_KEY, ui.paper.value);
  if (app.reportUrl) ui.report.href = reportHref();
});

function saveStatus(kind, text) {
  ui.saveStatus.className = `save-status ${kind}`;
  ui.saveStatus.textContent = text;
}

/** New results: nothing saved yet (an exercise done now is stored with no earlier test's session, which
 * may be another person's); saving offered when the server keeps records. The Subject field is emptied
 * unless "Test again" started this test (the same person): on a clinic day the next patient's results were
 * saved under the one before's name when S was pressed without retyping it. */
export function resetSave() {
  if (!app.retestOf) ui.subject.value = "";
  app.savedFor = null;
  app.sessionId = null;
  app.reportUrl = null;
  saveStatus("", "");
  ui.save.disabled = !app.info.records;
  ui.save.title = app.info.records ? "Save session (S, or Enter in the Subject field)" : "Saving is not available on this server (no records store).";
  ui.report.setAttribute("aria-disabled", "true");
  ui.report.title = "Save the session first";
  ui.report.href = "#";
  app.csvUrl = null;
  app.csvSession = null;
  ui.csv.setAttribute("aria-disabled", "true");
  ui.csv.title = "Save the session first";
  ui.csv.href = "#";
  ui.csv.removeAttribute("download");
  ui.export.setAttribute("aria-disabled", "true");
  ui.export.title = "Save the session first";
  ui.export.href = "#";
  ui.export.removeAttribute("download");
  withdrawReference();
  withdrawCorrection();
  withdrawHomeFile();
  withdrawHandOver();
  withdrawVisits();
}

/** Keep the full analysis of a test that just finished on the page, so that it can still be saved
 * when the server restarts before Save (the server keeps finished tests in memory only). */
export async function keepAnalysis(shown) {
  try {
    const a = await fetch(httpUrl(`api/results/${shown.results.result_id}`), { credentials: "same-origin" });
    if (a.ok) shown.analysis = await a.json();
  } catch (e) { /* Save asks the server again */ }
}

/** The analysis to save: the one kept on the page, else the server's (asked when the test finished too soon
 * before a lost link for the page to keep it). */
async function analysisToSave(shown) {
  if (shown.analysis) return shown.analysis;
  const a = await fetch(httpUrl(`api/results/${shown.results.result_id}`), { credentials: "same-origin" });
  if (!a.ok) throw new Error((await a.json().catch(() => ({}))).detail || `HTTP ${a.status}`);
  return a.json();
}

/** On a patient's own page, the line between tests says when their last test was (``info.last_test``): once one
 * is saved it is that one, not the one of weeks ago that the page was opened with. */
function refreshLastTest() {
  if (!app.info.home) return;
  fetch(httpUrl("api/info"), { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((info) => { if (info) app.info.last_test = info.last_test; })
    .catch(() => {});
}

/** The shown test ``resultId`` is stored as ``session`` (the server's answer to POST /api/sessions): said
 * (``words`` "Saved as session", then "#N for P1."; ``more`` after it), its readings form and PDF offered. */
function showSession(resultId, session, words, more = "") {
  app.savedFor = resultId;
  ui.save.disabled = true;
  ui.subject.value = session.subject || ""; // whom it was stored for, whatever this tab had typed
  showSaved();
  saveStatus("ok", `${words} #${session.id}${session.subject ? ` for ${session.subject}` : ""}.${hasKeys() ? " D downloads the PDF." : ""}${more}`);
  offerReference(session.id);
  offerCorrection(session.id, session.subject);
  offerHomeFile(session.subject);
  offerVisits(session.subject);
  refreshLastTest();
  const shown = app.last && app.last.results.result_id === resultId ? app.last.results : null;
  offerHandOver(session.id, session.subject, !!shown && (shown.recommendations || []).length > 0);
  afterSave(session.id);
  if (session.report_url) {
    app.reportUrl = httpUrl(session.report_url.replace(/^\//, "") + "?download=1");
    app.reportName = `hiprom-session-${session.id}.pdf`;
    ui.report.href = reportHref();
    ui.report.setAttribute("aria-disabled", "false");
    ui.report.title = "Download the PDF report (D)";
  }
  if (session.export_url) { // the file 'hiprom sessions export N --format json' writes; the clinic runs 'hiprom store import'
    ui.export.href = httpUrl(session.export_url.replace(/^\//, ""));
    ui.export.download = `hiprom-session-${session.id}.json`;
    ui.export.setAttribute("aria-disabled", "false");
    ui.export.title = "Download this test as the file to send your clinic, which adds it to your records (hiprom store import)";
  }
  if (session.csv_url) {
    app.csvUrl = httpUrl(session.csv_url.replace(/^\//, ""));
    app.csvSession = session.id;
    offerCsv();
    ui.csv.setAttribute("aria-disabled", "false");
    ui.csv.title = "Download the results as a CSV file, for a spreadsheet";
  }
}

// Two tabs on the same server show the same test (the server camera's): Save in one told the other nothing, which
// went on saying "These results are not saved" and asked a second Space. A save is told to this browser's other
// tabs (a BroadcastChannel); one showing the same test shows it saved.
const saves = "BroadcastChannel" in window ? new BroadcastChannel("hiprom.saved") : null;
if (saves) {
  saves.onmessage = ({ data }) => {
    const shown = app.last && app.last.results.result_id === data.resultId;
    if (shown && app.savedFor !== data.resultId) showSession(data.resultId, data.session, "Saved in another tab as session");
  };
}

/** Save the shown test: its full analysis, then a new session in the records store. */
export async function saveSession() {
  const shown = app.last;
  if (!shown || ui.save.disabled) return;
  const res = shown.results;
  ui.save.disabled = true;
  saveStatus("", "Saving…");
  try {
    const analysis = await analysisToSave(shown);
    const subject = ui.subject.value.trim() || null;
    const steps = (shown.steps || []).map((s) => ({ side: s.side, direction: s.direction, trials: s.trials, note: s.note }));
    const r = await fetch(httpUrl("api/sessions"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        analysis,
        subject,
        camera: app.source ? app.source.label : null,
        settings: { mode: app.mode === "browser" ? "browser camera" : "server source", guided_test: steps },
        result_id: res.result_id, // one the server no longer holds (a restart) is stored without its landmarks
      }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${r.status}`);
    const again = r.status === 200;  // this test was saved before (another tab, a retry): the same session
    const lost = body.has_landmarks ? "" : " The server was restarted after the test: its results were saved, the movement recording was not.";
    showSession(res.result_id, body, `${again ? "Already saved" : "Saved"} as session`, lost);
    if (saves) saves.postMessage({ resultId: res.result_id, session: body });
    if (body.report_url) ui.report.focus();
  } catch (e) {
    ui.save.disabled = false;
    saveStatus("error", `Not saved: ${e.message}`);
  }
}

let making = false;

/** Fetch the PDF with a running "making it" line (it takes seconds), then hand it to the browser. */
export async function downloadReport() {
  if (!app.last) return;
  if (!app.reportUrl) {
    saveStatus("warn", app.info.records ? (hasKeys() ? "Save the session first (S), then download the PDF (D)." : "Save the session first, then download the PDF.") : "No PDF: this server keeps no records.");
    return;
  }
  if (making) return;
  making = true;
  ui.report.classList.add("busy");
  ui.report.setAttribute("aria-busy", "true");
  const t0 = performance.now();
  saveStatus("", "Making the PDF…");
  // The running seconds are for the eye: a live region written every second is read out every second.
  const seconds = document.createElement("span");
  seconds.setAttribute("aria-hidden", "true");
  ui.saveStatus.appendChild(seconds);
  const tick = () => { seconds.textContent = ` ${Math.round((performance.now() - t0) / 1000)} s`; };
  tick();
  const timer = setInterval(tick, 1000);
  try {
    const r = await fetch(reportHref(), { credentials: "same-origin" });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || `HTTP ${r.status}`);
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url; a.download = app.reportName || "hiprom-report.pdf";
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    saveStatus("ok", `PDF ready (${Math.round(blob.size / 1024)} kB): see your downloads.`);
  } catch (e) {
    saveStatus("error", `No PDF: ${e.message}`);
  } finally {
    clearInterval(timer);
    making = false;
    ui.report.classList.remove("busy");
    ui.report.removeAttribute("aria-busy");
  }
}
