/* A person's visits on the page, as 'hiprom trend' lists them (GET /api/subjects/{subject}/trend): offered once a
 * session is saved for a pseudonym that has an earlier one, closed until asked for. One row per visit, oldest
 * first, the test just saved in bold: its number (a link to its report), its day, where it was tested (when some
 * were sent in), the six figures and the total arc's left − right, ↑ ↓ on a figure that changed beyond the
 * measurement error since the first visit; under it each visit's program and exercises done, then the server's
 * lines (the files sent in, a recording analysed again, what ↑ and ↓ mean). On a patient's own page (``info.home``)
 * every test of the store is theirs, saved with a pseudonym or not: "Your tests" (GET /api/trend), so a re-test weeks
 * after the first says what changed. */

import { $, app } from "./state.js";
import { httpUrl } from "./connection.js";
import { disclosure, el } from "./dom.js";
import { figure } from "./numbers.js";
import { pdfLink } from "./paper.js";

const box = $("visits");
let asked = 0; // the latest offer: the answer to an earlier one (another person, a file added since) is dropped

const MARKS = { improved: " ↑", decreased: " ↓" };

/** A visit's number, a link that downloads its PDF report, as Download PDF does the test's: a clinician going back
 * over a patient's visits reads each one's report. */
function report(id, day) {
  return pdfLink({ title: "Download this visit's report (PDF)",
    "aria-label": `Report of visit #${id}${day ? ` of ${day}` : ""} (PDF)` },
  httpUrl(`api/sessions/${id}/report.pdf?download=1`), `hiprom-session-${id}.pdf`, id);
}

function table(caption, trend) {
  const { headings, figures: shown, day, tested } = trend.words;
  const columns = ["#", "Date", ...(tested ? ["Tested"] : []), ...headings];
  const rows = trend.visits.map((v) => {
    const id = String(v.session_id);
    const since = v.since_first || {};
    // The six figures in the headings' order (the server's: left then right, IR, ER, arc), then the arc's left − right.
    const figures = shown.map(([side, m]) => ({ text: figure(v.figures[side][m]), mark: (since[side] || {})[m] }));
    const cells = [{ text: report(id, day[id]) }, { text: day[id] || "—" }, ...(tested ? [{ text: tested[id] }] : []),
      ...figures, { text: figure(v.asymmetry.total_arc) }];
    const here = v.session_id === app.sessionId ? { class: "current", "aria-current": "true" } : {}; // the test just saved
    return el("tr", here, ...cells.map((c, i) => el("td", { "data-label": columns[i] }, c.text,
      ...(MARKS[c.mark] ? [el("span", { class: c.mark }, MARKS[c.mark])] : []))));
  });
  return el("table", { id: "visits-table", class: tested ? "" : "here" }, el("caption", {}, `${caption} (degrees)`),
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c)))), el("tbody", {}, ...rows));
}

/** A session was saved for ``who`` (a pseudonym, or null), its subject corrected, or a file added to their records:
 * offer their visits when there is more than this one; on a patient's own page, all their tests. */
export async function offerVisits(who) {
  const mine = ++asked;
  if (!box) return;
  const own = !!(app.info && app.info.home);
  if (!who && !own) { withdrawVisits(); return; }
  let trend = null;
  let yours = false; // every test of one patient's store, else the person's visits
  try {
    if (own) { // a home store that names a second person is no one patient's (409): that person's visits then
      const r = await fetch(httpUrl("api/trend"), { credentials: "same-origin" });
      yours = r.ok;
      trend = r.ok ? await r.json() : null;
    }
    if (!trend && who) {
      const r = await fetch(httpUrl(`api/subjects/${encodeURIComponent(who)}/trend`), { credentials: "same-origin" });
      trend = r.ok ? await r.json() : null;
    }
  } catch (e) { /* no list rather than an error: the test itself is saved */ }
  if (mine !== asked) return;
  if (!trend || trend.visits.length < 2) { withdrawVisits(); return; }
  const open = $("visits-toggle") && $("visits-toggle").getAttribute("aria-expanded") === "true";
  // Each visit's program and exercises done, one line each under the table as 'hiprom trend' prints them.
  const done = Object.entries(trend.words.done).map(([id, line]) => el("li", {}, `#${id} ${line}`));
  const panel = el("div", { id: "visits-panel" }, table(yours ? "Your tests" : `Visits of ${who}`, trend),
    ...(done.length ? [el("ul", { id: "visits-done" }, ...done)] : []),
    ...trend.words.notes.map((line) => el("p", { class: "ref-hint" }, line)));
  const toggle = disclosure("visits-toggle", `${yours ? "Your tests" : `${who}'s visits`} (${trend.visits.length})`, panel,
    () => panel);
  panel.tabIndex = -1;
  box.replaceChildren(toggle, panel);
  if (open) toggle.click(); // a list brought up to date stays open
  box.hidden = false;
}

/** New results, nothing saved yet: no one's visits. */
export function withdrawVisits() {
  asked += 1;
  if (!box) return;
  box.hidden = true;
  box.replaceChildren();
}
