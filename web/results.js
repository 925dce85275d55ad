/* The results table of a finished test: both sides, their difference and the asymmetry badge. */

import { facts, ui } from "./state.js";
import { resetSave } from "./records.js";

function cell(value, unc, pct, reason) {
  const td = document.createElement("td");
  if (value === null || value === undefined) {
    td.textContent = "not measurable";
    if (reason) td.title = reason;
    return td;
  }
  const big = document.createElement("span");
  big.className = "big";
  big.textContent = `${value.toFixed(0)}°`;
  td.appendChild(big);
  if (unc !== null && unc !== undefined) {
    const u = document.createElement("span");
    u.className = "unc";
    u.textContent = `± ${unc.toFixed(0)}°`;
    td.appendChild(u);
  }
  if (pct !== null && pct !== undefined) {
    const p = document.createElement("span");
    p.className = "pct" + (pct < 75 ? " low" : "");
    p.textContent = `${pct.toFixed(0)}% of norm`;
    td.appendChild(p);
  }
  return td;
}

/** Fill the table from the guide's results (the summary of the final analysis). */
export function renderResults(res) {
  ui.results.dataset.rid = res.result_id;
  const rows = [
    ["Internal rotation", "internal_rotation"],
    ["External rotation", "external_rotation"],
    ["Total arc", "total_arc"],
  ];
  const asym = res.asymmetry || {};
  const flagged = new Set(asym.flagged_measures || []);
  ui.resultsBody.replaceChildren(...rows.map(([label, key]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row"; th.textContent = label;
    tr.appendChild(th);
    for (const side of facts.sides) {
      const s = res.sides[side] || {};
      const td = cell(s[`${key}_deg`], s[`${key}_unc_deg`], s[`${key}_pct_norm`], s.not_measurable);
      const unconfirmed = key === "total_arc"
        ? s.internal_rotation_confirmed === false || s.external_rotation_confirmed === false
        : s[`${key}_confirmed`] === false;
      if (unconfirmed && s[`${key}_deg`] !== null && s[`${key}_deg`] !== undefined) {
        const mark = document.createElement("span");
        mark.className = "unconfirmed";
        mark.textContent = "unconfirmed";
        mark.title = s[`${key}_reason`] || "no valid trial: repeat it to confirm";
        td.appendChild(mark);
      }
      tr.appendChild(td);
    }
    const diff = asym[`${key}_deg`];
    const td = document.createElement("td");
    if (diff === null || diff === undefined) td.textContent = "–";
    else {
      const big = document.createElement("span");
      big.className = "big";
      big.textContent = `${diff > 0 ? "+" : diff < 0 ? "−" : ""}${Math.abs(diff).toFixed(0)}°`;
      td.appendChild(big);
      const pct = asym[`${key}_pct`];
      if (pct !== null && pct !== undefined) {
        const p = document.createElement("span"); p.className = "pct"; p.textContent = `${pct.toFixed(0)}%`; p.title = "of the larger side"; td.appendChild(p);
      }
      if (flagged.has(`${key}_deg`) || flagged.has(key)) td.classList.add("flagged");
    }
    tr.appendChild(td);
    return tr;
  }));
  const thr = asym.threshold_deg ?? (res.norms || {}).asymmetry_threshold_deg ?? facts.norms.asymmetry_threshold_deg;
  if (asym.flagged) {
    ui.asymBadge.className = "badge flagged";
    ui.asymBadge.textContent = `Asymmetry above ${thr}°`;
  } else if (res.measurable === false) {
    ui.asymBadge.className = "badge flagged";
    ui.asymBadge.textContent = "Not measurable";
  } else {
    ui.asymBadge.className = "badge ok";
    ui.asymBadge.textContent = `Sides within ${thr}°`;
  }
  const notes = [...(res.notes || [])];
  if (res.not_measurable_reason) notes.unshift(res.not_measurable_reason);
  const norm = res.norm_deg ?? facts.norms.norm_deg;
  ui.resultsNotes.textContent = notes.length ? notes.join(" · ") : `Norm ${norm}° each way; total arc norm ${2 * norm}°.`;
  resetSave();
}
