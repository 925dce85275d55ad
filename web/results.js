/* The results table of a finished test: both sides (left, right), their difference,
 * the asymmetry and the badge. Words: "reference 45°" is the product's one number;
 * the "normal band" (e.g. 30–40° internal) is the range healthy hips show. */

import { degrees, facts, percent, signedDegrees, ui } from "./state.js";
import { resetSave } from "./records.js";
import { renderAdvice } from "./exercises.js";

/** Each row's measure (named by the server: facts.measures) and its normal band. */
const ROWS = [["internal_rotation", "internal"], ["external_rotation", "external"], ["total_arc", "arc"]];
const SIDE_LABEL = { left: "Left", right: "Right" };
const BADGE_CLASS = {
  exceeds: "flagged", not_measurable: "flagged", inconclusive: "undecided", not_compared: "undecided", within: "ok",
};

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

/** The normal band of a measure (the arc's is the sum of both directions' bands). */
function bandOf(which) {
  const b = facts.norms.bands;
  if (which === "arc") return [b.internal[0] + b.external[0], b.internal[1] + b.external[1]];
  return b[which];
}

/** A band verdict of the analysis (sides.*_band: below / within / above / inconclusive) in the page's words. */
const BAND_WORDS = { below: ["low", "below the normal band"], within: ["in", "within the normal band"],
  above: ["high", "above the normal band"],
  inconclusive: ["undecided", "cannot tell"] };

/** Why a verdict cannot tell ("could be as low as 28.9°", assessment.wording.explain's ``cannot_tell``), under
 * its "cannot tell": "32.6° ± 1.9°, cannot tell" inside 30–40° read as a contradiction. */
function cannotTellWhy(td, why) {
  if (why) td.appendChild(span("sub", why));
}

function cell(label, value, unc, band, verdict, reason) {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (value === null || value === undefined) {
    td.appendChild(span("sub", "not measurable"));
    if (reason) td.title = reason;
    return td;
  }
  const box = document.createElement("div");
  box.appendChild(span("big", degrees(value)));
  if (unc !== null && unc !== undefined) box.appendChild(span("unc", `±\u00a0${degrees(unc)}`)); // no line break after ±
  td.appendChild(box);
  if (band && BAND_WORDS[verdict]) {
    // The analysis's verdict, which weighs the ±, as the PDF's "cannot tell whether it is below the normal band".
    const [lo, hi] = band;
    const [where, words] = BAND_WORDS[verdict];
    const b = span(`band ${where}`, words);
    b.title = `The normal band (AMA) is ${lo}–${hi}°; the reference is ${facts.norms.norm_deg}° each way.`;
    td.appendChild(b);
  }
  return td;
}

/** Fill the table from the guide's results (the summary of the final analysis). */
export function renderResults(res) {
  ui.results.dataset.rid = res.result_id;
  const asym = res.asymmetry || {};
  const flagged = new Set(asym.flagged_measures || []);
  const verdicts = asym.verdicts || {};
  const threshold = (res.norms && res.norms.asymmetry_threshold_deg) ?? facts.norms.asymmetry_threshold_deg;
  const words = res.words || {};
  ui.resultsBody.replaceChildren(...ROWS.map(([key, which]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row"; th.textContent = facts.measures[key];
    const [lo, hi] = bandOf(which);
    th.appendChild(span("sub", `normal band ${lo}–${hi}°`));
    tr.appendChild(th);
    for (const side of facts.sides) {
      const s = res.sides[side] || {};
      const value = s[`${key}_deg`];
      const td = cell(SIDE_LABEL[side], value, s[`${key}_unc_deg`], bandOf(which), s[`${key}_band`], s.not_measurable);
      if (s[`${key}_band`] === "inconclusive") cannotTellWhy(td, words.cannot_tell?.sides[side]?.[key]);
      const unconfirmed = key === "total_arc"
        ? s.internal_rotation_confirmed === false || s.external_rotation_confirmed === false
        : s[`${key}_confirmed`] === false;
      if (unconfirmed && s[`${key}_deg`] !== null && s[`${key}_deg`] !== undefined) {
        const mark = span("unconfirmed", "unconfirmed");
        mark.title = s[`${key}_reason`] || "no valid trial: repeat it to confirm";
        td.appendChild(mark);
      }
      tr.appendChild(td);
    }
    const diff = asym[`${key}_deg`];
    const isFlagged = flagged.has(`${key}_deg`) || flagged.has(key);
    const tdDiff = document.createElement("td");
    tdDiff.dataset.label = "Left − right";
    const tdPct = document.createElement("td");
    tdPct.dataset.label = "Asymmetry";
    if (diff === null || diff === undefined) {
      tdDiff.appendChild(span("sub", "—"));
      tdPct.appendChild(span("sub", "—"));
    } else {
      tdDiff.appendChild(span("big", signedDegrees(diff)));
      if (Math.abs(diff) >= 1) tdDiff.appendChild(span("sub", `${diff > 0 ? "left" : "right"} larger`));
      const pct = asym[`${key}_pct`];
      // To the decimal, as the PDF and the CSV give it: 13.46 is 13.5 there, and must not read "14%" here.
      tdPct.appendChild(span("big", percent(pct)));
      tdPct.title = "The difference as a share of the larger side";
      if (isFlagged) { tdDiff.classList.add("flagged"); tdPct.classList.add("flagged"); }
      // In words, as the PDF's "⚑ exceeds": the red alone is lost on a red-green colour-blind reader,
      // in Windows high contrast and to a screen reader.
      if (verdicts[key] === "exceeds") tdDiff.appendChild(span("sub flagged", `⚑ exceeds ${threshold}°`));
      if (verdicts[key] === "inconclusive") {
        tdDiff.appendChild(span("sub undecided", "cannot tell"));
        cannotTellWhy(tdDiff, words.cannot_tell?.asymmetry[key]);
      }
      tdDiff.title = (res.words && res.words.asymmetry[key]) || "";
    }
    tr.append(tdDiff, tdPct);
    return tr;
  }));
  // One answer for the three comparisons, in the words the PDF uses (assessment.wording.overall_asymmetry):
  // "within" only when the differences were measured and decided.
  const overall = res.words.overall;
  ui.asymBadge.className = `badge ${BADGE_CLASS[overall.kind]}`;
  ui.asymBadge.textContent = overall.badge;
  // The quality notes, sentences that already say why a part was not measured (assessment.wording.quality_notes):
  // the reason was said twice, once as the note and once before the advice.
  const notes = [...(res.notes || [])];
  if (res.words && res.words.not_measurable) notes.push(`Next time: ${res.words.not_measurable}`);
  const n = facts.norms;
  notes.push(`Reference ${res.norm_deg ?? n.norm_deg}° each way. Normal band: internal ${n.bands.internal[0]}–${n.bands.internal[1]}°, external ${n.bands.external[0]}–${n.bands.external[1]}°.`);
  // The differences under the minimal detectable change, as the PDF's and the CLI's tables and the CSV mark them:
  // a patient reads "left larger" of 4° as a finding unless told a repeat could not tell it from none.
  if (words.within_mdc) notes.unshift(words.within_mdc);
  if (words.plus_minus) notes.push(words.plus_minus); // what the ± is, as the PDF and the CLI say it
  ui.resultsNotes.textContent = notes.join(" · ");
  resetSave();
  renderAdvice(res);
}
