/* This device's camera: getUserMedia, JPEG pictures sent to /ws/camera at most SEND_FPS a second. */

import { app, ui } from "./state.js";
import { openSocket, wsUrl } from "./connection.js";
import { setStatus } from "./status.js";

const SEND_FPS = 15;            // pictures per second sent at most
const SEND_WIDTH = 640;

export function stopBrowserCamera() {
  if (app.sendTimer) { clearInterval(app.sendTimer); app.sendTimer = null; }
  if (app.stream) { for (const t of app.stream.getTracks()) t.stop(); app.stream = null; }
  ui.video.srcObject = null;
  ui.video.hidden = true;
}

/** The server answered a picture: one fewer in flight. */
export function frameAnswered() {
  app.inFlight = Math.max(0, app.inFlight - 1);
  app.lastReplyAt = performance.now();
}

export async function startBrowserMode() {
  ui.mjpeg.removeAttribute("src");
  ui.mjpeg.hidden = true;
  if (!app.stream) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus({ level: "error", code: "no_camera_api", text: "This browser cannot share its camera here (it needs http://127.0.0.1 or https)." });
      return;
    }
    setStatus({ level: "info", code: "asking", text: "Asking for the camera…" });
    try {
      app.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) {
      setStatus({ level: "error", code: "camera_denied", text: `No camera: ${e.message || e.name}. Allow the camera, or use the server camera.` });
      return;
    }
    const track = app.stream.getVideoTracks()[0];
    if (track) track.onended = () => setStatus({ level: "error", code: "camera_lost", text: "This device's camera stopped (unplugged?). Switch modes to try again." });
  }
  ui.video.srcObject = app.stream;
  ui.video.hidden = false;
  await ui.video.play().catch(() => {});
  ui.caption.textContent = "this device's camera";
  app.source = { kind: "browser", preview: false };
  const grab = document.createElement("canvas");
  openSocket(wsUrl("ws/camera"), (ws) => {
    app.inFlight = 0;
    if (app.sendTimer) clearInterval(app.sendTimer);
    app.sendTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN || !ui.video.videoWidth) return;
      const now = performance.now();
      if (app.inFlight >= 2 && now - app.lastReplyAt < 1500) return; // the server is busy: skip this picture
      if (now - app.lastReplyAt >= 1500) app.inFlight = 0;
      const vw = ui.video.videoWidth, vh = ui.video.videoHeight;
      const s = Math.min(1, SEND_WIDTH / vw);
      grab.width = Math.round(vw * s); grab.height = Math.round(vh * s);
      grab.getContext("2d").drawImage(ui.video, 0, 0, grab.width, grab.height);
      app.inFlight += 1;
      if (!app.lastReplyAt) app.lastReplyAt = now;
      grab.toBlob((blob) => { if (blob && ws.readyState === WebSocket.OPEN) ws.send(blob); }, "image/jpeg", 0.8);
    }, 1000 / SEND_FPS);
  });
}
