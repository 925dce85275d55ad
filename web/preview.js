/* The picture box between the dials: its size and what it shows (server picture or none). */

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
      if (!ui.mjpeg.getAttribute("src")) ui.mjpeg.src = httpUrl("video.mjpg");
      ui.mjpeg.hidden = false;
      ui.caption.textContent = `${src.label} · shown as in a mirror`;
    } else {
      ui.mjpeg.removeAttribute("src");
      ui.mjpeg.hidden = true;
      ui.caption.textContent = `${src.label}: landmarks only, no picture`;
    }
  }
}
