/* The picture box between the dials: its size and what it shows (server picture or none).
 *
 * The server's picture is asked for at the box's size in device pixels (video.mjpg?w=&h=), at most MAX_DPR of
 * them per CSS pixel: scaled on the server, it costs a quarter of the source's 1280x720 to encode, send and
 * decode, and stays sharp on a big window or a HiDPI screen. It is streamed only while it can be seen (not under
 * the results, not in a hidden tab). */

import { app, ui } from "./state.js";
import { httpUrl } from "./connection.js";

/** The largest box of the picture's aspect ratio that fits the space between the dials, above its caption. */
export function fitPreview() {
  const [W, H] = (app.source && app.source.size_wh) || [640, 480];
  const r = ui.wrap.getBoundingClientRect();
  const below = ui.caption.getBoundingClientRect().height + 6; // the caption sits under the picture, never on it
  if (!r.width || r.height <= below) return;
  const scale = Math.min(r.width / W, (r.height - below) / H);
  ui.preview.style.width = `${Math.floor(W * scale)}px`;
  ui.preview.style.height = `${Math.floor(H * scale)}px`;
  askAgainSoon();
}

/** The most device pixels per CSS pixel the picture is asked at. A 2x (HiDPI) screen asked for 4x the pixels of
 * the box for no visible gain on a moving video of a person: a 1280x720 camera in a 1280x800 window's box (540x304
 * CSS px), 1080x608 px took the server 10-11 ms a picture to scale and encode and 74 KiB (1.1 MB/s at 15 a second);
 * at 1.5, 810x456 px, 2.1 ms and 50 KiB (0.74 MB/s), 36.7 dB from the 2x picture as the screen shows it (31.2 dB at
 * 1x). A 1.25 or 1.5 screen (most HiDPI laptops) is asked as before. */
const MAX_DPR = 1.5;
/** The box shrinking below this share of the size asked: asked again (smaller pictures cost less). */
const SHRINK = 0.7;
/** A resize settles this long before the picture is asked again (a window dragged asks once). */
const SETTLE_MS = 250;
let settleTimer = null;

function askAgainSoon() {
  clearTimeout(settleTimer);
  settleTimer = setTimeout(streamPreview, SETTLE_MS);
}

/** The size the stream was opened at ([w, h] device pixels), or null when it is not open. */
function askedWh() {
  if (!(ui.mjpeg.getAttribute("src") || "").startsWith(httpUrl("video.mjpg"))) return null;
  const q = new URL(ui.mjpeg.src).searchParams;
  return [Number(q.get("w")), Number(q.get("h"))];
}

/** Close the stream, keeping its last picture as a still, also under the picture: shown again, the box shows
 * it until the stream's first picture (the browser empties an image while its new address loads). */
function holdStill() {
  const img = ui.mjpeg;
  if (!askedWh()) return;
  if (!img.naturalWidth) { img.removeAttribute("src"); return; }
  const still = document.createElement("canvas");
  [still.width, still.height] = [img.naturalWidth, img.naturalHeight];
  still.getContext("2d").drawImage(img, 0, 0);
  img.src = still.toDataURL("image/jpeg", 0.8);
  img.style.backgroundImage = `url(${img.src})`;
}
// The stream's first picture is in: the still under it is let go.
ui.mjpeg.addEventListener("load", () => {
  if (ui.mjpeg.style.backgroundImage && askedWh()) ui.mjpeg.style.backgroundImage = "";
});

/** Open, re-open or stop the server's picture: open while it can be seen, at the box's size in device pixels. */
export function streamPreview() {
  clearTimeout(settleTimer);
  const seen = app.mode === "server" && app.source && app.source.preview
    && document.body.dataset.view !== "results" && !document.hidden;
  if (!seen) {
    if (app.mode === "server" && app.source && app.source.preview) holdStill(); else ui.mjpeg.removeAttribute("src");
    return;
  }
  const r = ui.preview.getBoundingClientRect();
  const dpr = Math.min(window.devicePixelRatio || 1, MAX_DPR);
  const [w, h] = [Math.ceil(r.width * dpr), Math.ceil(r.height * dpr)];
  if (!w || !h) return;
  const asked = askedWh();
  if (asked && w <= asked[0] && h <= asked[1] && w >= SHRINK * asked[0] && h >= SHRINK * asked[1]) return;
  ui.mjpeg.src = httpUrl(`video.mjpg?w=${w}&h=${h}`);
}

/** Show the picture as in a mirror (the subject's left on the screen's left), unless it already is one. */
export function setMirror(sourceMirrored) {
  ui.preview.classList.toggle("mirror", !sourceMirrored);
}

/** Follow the server's source: its picture stream, or a caption when it has none. */
export function setSource(src) {
  if (!src) return;
  setMirror(!!src.mirrored);
  const changed = !app.source || app.source.kind !== src.kind || app.source.preview !== src.preview;
  const resized = !app.source || String(app.source.size_wh) !== String(src.size_wh);
  app.source = src;
  if (resized) fitPreview();
  if (!changed) return;
  if (app.mode === "server") {
    ui.video.hidden = true;
    if (src.preview) {
      streamPreview();
      ui.mjpeg.hidden = false;
      ui.caption.textContent = `${src.label} · shown as in a mirror`;
    } else {
      ui.mjpeg.removeAttribute("src");
      ui.mjpeg.hidden = true;
      ui.caption.textContent = `${src.label}: landmarks only, no picture`;
    }
  }
}
