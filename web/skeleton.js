/* The skeleton drawn over the picture (or on a blank canvas for a landmark recording). */

import { ui } from "./state.js";

// BlazePose connections drawn as the skeleton.
const BONES = [
  [11, 12], [11, 23], [12, 24], [23, 24],
  [11, 13], [13, 15], [12, 14], [14, 16],
  [23, 25], [25, 27], [27, 29], [29, 31], [27, 31],
  [24, 26], [26, 28], [28, 30], [30, 32], [28, 32],
];
const LEG = { left: [23, 25, 27, 29, 31], right: [24, 26, 28, 30, 32] };
const COLORS = { left: "#4cc9f0", right: "#ff9f43", mid: "#f3f6fa" };

/** Match the canvas's pixels to its box on screen. */
export function fitCanvas() {
  const c = ui.canvas, r = ui.preview.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  return { w, h, dpr };
}

/** Draw ``landmarks`` (33 x [x, y, visibility], normalised to a ``sizeWh`` picture); none clears. */
export function drawSkeleton(landmarks, sizeWh, activeSide) {
  const { w, h, dpr } = fitCanvas();
  const ctx = ui.canvas.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  if (!landmarks) return;
  const [W, H] = sizeWh || [640, 480];
  const scale = Math.min(w / W, h / H);
  const ox = (w - W * scale) / 2, oy = (h - H * scale) / 2;
  const pt = (i) => {
    const l = landmarks[i];
    if (!l || l[0] === null || l[1] === null || (l[2] !== null && l[2] < 0.3)) return null;
    return [ox + l[0] * W * scale, oy + l[1] * H * scale];
  };
  const sideOf = (i) => (i >= 11 ? (i % 2 === 1 ? "left" : "right") : "mid");
  ctx.lineCap = "round";
  for (const [a, b] of BONES) {
    const p = pt(a), q = pt(b);
    if (!p || !q) continue;
    const side = sideOf(a) === sideOf(b) ? sideOf(a) : "mid";
    const isLeg = side !== "mid" && LEG[side].includes(a) && LEG[side].includes(b);
    const active = isLeg && side === activeSide;
    ctx.strokeStyle = COLORS[side];
    ctx.lineWidth = (active ? 9 : isLeg ? 6 : 4) * dpr;
    ctx.globalAlpha = activeSide && !active && isLeg ? 0.55 : 1;
    ctx.shadowColor = active ? COLORS[side] : "transparent";
    ctx.shadowBlur = active ? 14 * dpr : 0;
    ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
  }
  ctx.shadowBlur = 0; ctx.globalAlpha = 1;
  for (let i = 11; i < 33; i++) {
    if (i >= 17 && i <= 22) continue;
    const p = pt(i);
    if (!p) continue;
    ctx.fillStyle = COLORS[sideOf(i)];
    ctx.beginPath(); ctx.arc(p[0], p[1], ([25, 26].includes(i) ? 7 : 4.5) * dpr, 0, 2 * Math.PI); ctx.fill();
  }
  const nose = pt(0);
  if (nose) {
    ctx.strokeStyle = COLORS.mid; ctx.lineWidth = 3 * dpr;
    ctx.beginPath(); ctx.arc(nose[0], nose[1], 16 * dpr, 0, 2 * Math.PI); ctx.stroke();
  }
}
