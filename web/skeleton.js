/* The skeleton drawn over the picture (or on a blank canvas for a landmark recording). */

import { facts, ui } from "./state.js";

const COLORS = { left: "#4cc9f0", right: "#ff9f43", mid: "#f3f6fa" };

/** The skeleton by landmark index, from the server's names: bones, legs, each point's side. */
function body() {
  const at = facts.landmarks;
  const sideOf = {};
  for (const [name, i] of Object.entries(at)) {
    sideOf[i] = facts.sides.find((side) => name.startsWith(`${side}_`)) || "mid";
  }
  const legs = {};
  for (const side of facts.sides) legs[side] = facts.legs[side].map((name) => at[name]);
  return { at, sideOf, legs, bones: facts.bones.map(([a, b]) => [at[a], at[b]]) };
}

let asked = null; // the newest drawing asked for and not yet drawn: {landmarks, sizeWh, activeSide}
let shown = "";   // what the canvas shows: the key of the last drawing made ("" = nothing)

/** Match the canvas's pixels to its box on screen; null while it has none (the results shown instead): its
 * size is kept. Made 1x1 then, it came back as one pixel of the last point drawn (the right foot's orange)
 * stretched over the whole picture, until the next frame redrew it. */
export function fitCanvas() {
  const c = ui.canvas, r = ui.preview.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return null;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(r.width * dpr), h = Math.round(r.height * dpr);
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; shown = ""; }
  return { w, h, dpr };
}

/** Draw ``landmarks`` (33 x [x, y, visibility], normalised to a ``sizeWh`` picture) at the next animation frame;
 * none, or no box on screen, clears it. Messages come faster than the screen shows them (and keep coming in a
 * tab out of sight, where no frame is drawn): only the newest of those asked between two frames is drawn, and
 * not at all when the canvas shows it already. Drawn in the frame, the canvas's box is read once the page's
 * other changes are laid out, not in the middle of them (a second layout per message). */
export function drawSkeleton(landmarks, sizeWh, activeSide) {
  if (asked === null) requestAnimationFrame(paint);
  asked = { landmarks, sizeWh, activeSide };
}

function paint() {
  const { landmarks, sizeWh, activeSide } = asked;
  asked = null;
  const fit = fitCanvas();
  const key = landmarks && fit ? JSON.stringify([landmarks, sizeWh, activeSide, fit.w, fit.h]) : "";
  if (key === shown) return;
  shown = key;
  const ctx = ui.canvas.getContext("2d");
  ctx.clearRect(0, 0, ui.canvas.width, ui.canvas.height);
  if (!key) return;
  const { w, h, dpr } = fit;
  const [W, H] = sizeWh || [640, 480];
  const scale = Math.min(w / W, h / H);
  const ox = (w - W * scale) / 2, oy = (h - H * scale) / 2;
  const pt = (i) => {
    const l = landmarks[i];
    if (!l || l[0] === null || l[1] === null || (l[2] !== null && l[2] < 0.3)) return null;
    return [ox + l[0] * W * scale, oy + l[1] * H * scale];
  };
  const { at, sideOf: sides, legs, bones } = body();
  const sideOf = (i) => sides[i] || "mid";
  ctx.lineCap = "round";
  for (const [a, b] of bones) {
    const p = pt(a), q = pt(b);
    if (!p || !q) continue;
    const side = sideOf(a) === sideOf(b) ? sideOf(a) : "mid";
    const isLeg = side !== "mid" && legs[side].includes(a) && legs[side].includes(b);
    const active = isLeg && side === activeSide;
    ctx.strokeStyle = COLORS[side];
    ctx.lineWidth = (active ? 9 : isLeg ? 6 : 4) * dpr;
    ctx.globalAlpha = activeSide && !active && isLeg ? 0.55 : 1;
    ctx.shadowColor = active ? COLORS[side] : "transparent";
    ctx.shadowBlur = active ? 14 * dpr : 0;
    ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
  }
  ctx.shadowBlur = 0; ctx.globalAlpha = 1;
  const knees = Object.values(legs).map((leg) => leg[1]); // each leg runs hip, knee, ankle, ...
  for (const i of Object.values(at)) {
    if (i === at.nose) continue;
    const p = pt(i);
    if (!p) continue;
    ctx.fillStyle = COLORS[sideOf(i)];
    ctx.beginPath(); ctx.arc(p[0], p[1], (knees.includes(i) ? 7 : 4.5) * dpr, 0, 2 * Math.PI); ctx.fill();
  }
  const nose = pt(at.nose);
  if (nose) {
    ctx.strokeStyle = COLORS.mid; ctx.lineWidth = 3 * dpr;
    ctx.beginPath(); ctx.arc(nose[0], nose[1], 16 * dpr, 0, 2 * Math.PI); ctx.stroke();
  }
}
