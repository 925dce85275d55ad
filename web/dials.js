/* The two hip dials: needle, sweep, norm marks, peak marks and quality flags. */

import { $, degrees, facts, percent, reasonWords, setText } from "./state.js";

const DIAL_LIMIT = 70;          // the dial shows -70..+70 degrees
const PIVOT = { x: 150, y: 22 }; // the knee: the shin swings below it
const SVG = "http://www.w3.org/2000/svg";

const rad = (deg) => (deg * Math.PI) / 180;
function dialPoint(screenDeg, r) {
  // screenDeg: 0 = straight down, + = toward the screen's right.
  return { x: PIVOT.x + r * Math.sin(rad(screenDeg)), y: PIVOT.y + r * Math.cos(rad(screenDeg)) };
}
function arcPath(fromDeg, toDeg, r) {
  const a = Math.min(fromDeg, toDeg), b = Math.max(fromDeg, toDeg);
  const p = dialPoint(a, r), q = dialPoint(b, r);
  return `M ${p.x.toFixed(1)} ${p.y.toFixed(1)} A ${r} ${r} 0 ${b - a > 180 ? 1 : 0} 0 ${q.x.toFixed(1)} ${q.y.toFixed(1)}`;
}
// The picture is shown as in a mirror: the subject's left leg is on the screen's left.
// Internal rotation swings the foot outward: the left foot to the screen's left, the right foot to the right.
const screenSign = (side) => (side === "left" ? -1 : 1);
function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}
function buildDial(side, NORM_DEG) {
  const face = document.querySelector(`#side-${side} .dial-face`);
  face.replaceChildren();
  const s = screenSign(side);
  svgEl("path", { class: "arc", d: arcPath(-DIAL_LIMIT, DIAL_LIMIT, 128) }, face);
  for (let d = -60; d <= 60; d += 15) {
    const p = dialPoint(d, 120), q = dialPoint(d, 136);
    svgEl("line", { class: "tick-mark", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, face);
  }
  for (const dir of [1, -1]) {
    const deg = s * dir * NORM_DEG;
    const p = dialPoint(deg, 100), q = dialPoint(deg, 152);
    svgEl("line", { class: "norm-mark", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, face);
    const t = dialPoint(deg, 166);
    const label = svgEl("text", { class: "norm-label", x: t.x, y: t.y + 5, "text-anchor": "middle" }, face);
    label.textContent = `${NORM_DEG}°`;
    const e = dialPoint(s * dir * (DIAL_LIMIT + 9), 110);
    const dl = svgEl("text", { class: "dir-label", x: e.x, y: e.y, "text-anchor": "middle" }, face);
    dl.textContent = dir > 0 ? "IR" : "ER";
  }
  const dial = face.parentNode;
  for (const old of dial.querySelectorAll(".sweep")) old.remove();
  const sweep = svgEl("path", { class: "sweep", d: "" });
  dial.insertBefore(sweep, face.nextSibling);
  const peakIr = svgEl("line", { class: "peak", x1: 0, y1: 0, x2: 0, y2: 0, visibility: "hidden" }, face);
  const peakEr = svgEl("line", { class: "peak", x1: 0, y1: 0, x2: 0, y2: 0, visibility: "hidden" }, face);
  return { sweep, needle: dial.querySelector(".needle"), peakIr, peakEr };
}

let dials = null;

/** Draw the dials' faces, with the server's reference marked both ways. */
export function buildDials() {
  dials = {};
  for (const side of facts.sides) dials[side] = buildDial(side, facts.norms.norm_deg);
}

function setLine(line, deg, r0, r1) {
  const p = dialPoint(deg, r0), q = dialPoint(deg, r1);
  line.setAttribute("x1", p.x.toFixed(1)); line.setAttribute("y1", p.y.toFixed(1));
  line.setAttribute("x2", q.x.toFixed(1)); line.setAttribute("y2", q.y.toFixed(1));
}

function fmtAngle(a) {
  if (a === null || a === undefined) return "–";
  const r = Math.round(a);
  return (r > 0 ? "+" : r < 0 ? "−" : "") + Math.abs(r) + "°";
}

/** Show one side's reading (or none) on its dial; ``mark`` ("being tested", "being exercised", or "") marks
 * the side the person watches, framed for the eye and said after the dial's heading ("Left hip (being
 * exercised)"); ``peaks`` are the test's held peaks so far, as the server found them ({internal_deg, external_deg}). */
export function updateSide(side, reading, mark, peaks) {
  const d = dials[side];
  const angle = reading ? reading.angle_deg : null;
  const card = $(`side-${side}`);
  card.classList.toggle("active", !!mark);
  setText($(`mark-${side}`), mark ? ` (${mark})` : "");
  setText($(`angle-${side}`), fmtAngle(angle));
  if (angle === null || angle === undefined) {
    setText($(`dir-${side}`), reading ? "not measurable" : "\u00a0");
    setText($(`unc-${side}`), "\u00a0");
    d.needle.setAttribute("visibility", "hidden");
    d.sweep.setAttribute("d", "");
  } else {
    const clamped = Math.max(-DIAL_LIMIT, Math.min(DIAL_LIMIT, angle));
    const deg = screenSign(side) * clamped;
    d.needle.setAttribute("visibility", "visible");
    setLine(d.needle, deg, 0, 150);
    d.sweep.setAttribute("d", Math.abs(clamped) > 0.5 ? arcPath(0, deg, 128) : "");
    const ref = facts.norms.norm_deg;
    const pct = (Math.abs(angle) / ref) * 100;
    setText($(`dir-${side}`), Math.abs(angle) < 1 ? "neutral" : angle > 0 ? "internal" : "external");
    const unc = reading.uncertainty_deg;
    setText($(`unc-${side}`), (unc !== null && unc !== undefined ? `±\u00a0${degrees(unc)}  ·  ` : "") + `${percent(pct, 0)} of ${ref}°`);
  }
  for (const [key, line, sign] of [["internal_deg", d.peakIr, 1], ["external_deg", d.peakEr, -1]]) {
    const value = peaks ? peaks[key] : null;
    if (value !== null && value !== undefined) {
      line.setAttribute("visibility", "visible");
      setLine(line, screenSign(side) * sign * Math.min(value, DIAL_LIMIT), 112, 146);
    } else line.setAttribute("visibility", "hidden");
  }
  const list = $(`flags-${side}`);
  // Those that stop a trial counting (red) first: the one to act on is read first.
  const bad = (f) => Number(facts.flags[f] === "invalidating");
  const flags = [...(reading ? reading.flags || [] : [])].sort((a, b) => bad(b) - bad(a));
  const key = flags.join(",");
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    list.replaceChildren(...flags.map((f) => {
      const li = document.createElement("li");
      li.textContent = reasonWords([f]);
      if (facts.flags[f] === "invalidating") li.classList.add("bad"); // what the flag does: from /api/info
      return li;
    }));
  }
}
