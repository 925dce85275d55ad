/* The picture box between the dials: its size and what it shows (server picture or none). */

import { app, ui } from "./state.js";
import { httpUrl } from "./connection.js";

/** The largest box of the picture's aspect ratio that fits the space between the dials. */
export function fitPreview() {
  const [W, H] = (app.source && app.source.size_wh) || [640, 480];
  const r = ui.wrap.getBoundingClientRect();
  if (!r.width || !r.height) return;
  const scale = Math.min(r.width / W, r.height / H);
  ui.preview.style.width = `${Math.floor(W * scale)}px`;
  ui.preview.style.height = `${Math.floor(H * scale)}px`;
}

/** Follow the server's source: its picture stream, or a caption when it has none. */
export function setSource(src) {
  if (!src) return;
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
      ui.caption.textContent = src.label;
    } else {
      ui.mjpeg.removeAttribute("src");
      ui.mjpeg.hidden = true;
      ui.caption.textContent = `${src.label}: landmarks only, no picture`;
    }
  }
}
