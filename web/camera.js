/* This device's camera: getUserMedia, JPEG pictures sent to /ws/camera at most SEND_FPS a second.
 *
 * While this mode is chosen the server's own feed is closed. A camera that
 * cannot be used (none, permission refused, unplugged) is shown over the
 * picture with what to do, and stays there until the user acts. */

import { app, ui } from "./state.js";
import { closeSocket, openSocket, send, wsUrl } from "./connection.js";
import { setStatus } from "./status.js";
import { say } from "./speech.js";
import { exerciseReconnected } from "./exercises.js";

const SEND_FPS = 15;            // pictures per second sent at most
// Pictures are sent with their shorter side at most 480 px: the size hiprom's accuracy is validated at
// (docs/accuracy.md). A 1280x720 camera is sent at 853x480, not squeezed to 640x360.
const SEND_SHORT_SIDE = 480;

/** What went wrong, what to do: by the browser's error name. */
const PROBLEMS = {
  denied: {
    code: "camera_denied",
    title: "Camera permission refused",
    text: "Allow the camera for this page (the camera icon in the address bar, or the browser's site settings), then press Try again. Or use the server camera.",
  },
  none: {
    code: "no_camera",
    title: "No camera found",
    text: "Plug in a camera (or close the program that is using it), then press Try again. Or use the server camera.",
  },
  busy: {
    code: "no_camera",
    title: "The camera cannot be opened",
    text: "Another program may be using it: close that program, then press Try again. Or use the server camera.",
  },
  lost: {
    code: "camera_lost",
    title: "The camera stopped",
    text: "It was unplugged, switched off or taken by another program. Plug it back in or close that program, then press Try again. Or use the server camera.",
  },
  api: {
    code: "no_camera_api",
    title: "This browser cannot share its camera here",
    text: "Open the page as http://127.0.0.1 on this computer, or over https. Or use the server camera.",
  },
};

function kindOf(err) {
  const name = (err && err.name) || "";
  if (["NotAllowedError", "SecurityError", "PermissionDeniedError"].includes(name)) return "denied";
  if (["NotReadableError", "TrackStartError", "AbortError"].includes(name)) return "busy";
  return "none";
}

/** Show a camera problem over the picture and in the status line; it stays until the user acts. */
function showProblem(kind, err) {
  const p = PROBLEMS[kind];
  stopBrowserCamera();
  closeSocket();
  app.cameraError = p.code;
  ui.cameraErrorTitle.textContent = p.title;
  ui.cameraErrorText.textContent = p.text;
  ui.cameraError.hidden = false;
  ui.caption.textContent = "this device's camera: not available";
  setStatus({ level: "error", code: p.code, text: `${p.title}.`, detail: err ? `${err.name || ""} ${err.message || ""}`.trim() : "", blocking: true });
  say(`${p.title}.`);
  ui.cameraRetry.focus();
}

export function clearProblem() {
  app.cameraError = null;
  ui.cameraError.hidden = true;
}

export function stopBrowserCamera() {
  if (app.sendTimer) { clearInterval(app.sendTimer); app.sendTimer = null; }
  if (app.stream) {
    for (const t of app.stream.getTracks()) { t.onended = t.onmute = t.onunmute = null; t.stop(); }
    app.cameraMuted = false;
    app.paused = null;
    app.stream = null;
  }
  ui.video.srcObject = null;
  ui.video.hidden = true;
}

/** Why no picture can be sent now (this tab hidden: the browser slows its timers to one a second and
 * may freeze the picture; the camera muted: it sends no pictures, taken by another program or
 * covered), as the status the page shows; null when pictures can be sent. */
const PAUSES = {
  hidden: { level: "warn", code: "paused_hidden", text: "Measuring paused while this tab is hidden: come back to it to go on." },
  muted: { level: "warn", code: "camera_muted", text: "The camera sends no pictures: close any other program that uses it, or open its cover." },
};

function pause() {
  const why = document.hidden ? "hidden" : app.cameraMuted ? "muted" : null;
  if (why !== app.paused) {
    app.paused = why;
    if (why) {
      setStatus(PAUSES[why]);
      say(PAUSES[why].text);
      send({ type: "paused", why }); // a turn the pause cost then says this cause, not the other
    }
  }
  return why;
}

/** The pause's status while no picture is sent (an answer still on its way must not hide it), else null. */
export function pauseStatus() {
  return app.mode === "browser" && app.paused ? PAUSES[app.paused] : null;
}

/** The server answered a picture: one fewer in flight. */
export function frameAnswered() {
  app.inFlight = Math.max(0, app.inFlight - 1);
  app.lastReplyAt = performance.now();
}

export async function startBrowserMode() {
  closeSocket(); // the server's own feed stops showing at once
  ui.mjpeg.removeAttribute("src");
  ui.mjpeg.hidden = true;
  clearProblem();
  app.source = { kind: "browser", preview: true, mirrored: false };
  ui.caption.textContent = "this device's camera";
  if (!app.stream) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { showProblem("api"); return; }
    setStatus({ level: "info", code: "asking", text: "Asking for the camera…" });
    try {
      app.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) {
      if (app.mode === "browser") showProblem(kindOf(e), e);
      return;
    }
    if (app.mode !== "browser") { stopBrowserCamera(); return; } // switched back while asking
    const track = app.stream.getVideoTracks()[0];
    if (track) {
      track.onended = () => { if (app.mode === "browser") showProblem("lost"); };
      track.onmute = () => { app.cameraMuted = true; pause(); };
      track.onunmute = () => { app.cameraMuted = false; };
    }
  }
  ui.video.srcObject = app.stream;
  ui.video.hidden = false;
  await ui.video.play().catch(() => {});
  const grab = document.createElement("canvas");
  openSocket(wsUrl("ws/camera"), (ws) => {
    app.inFlight = 0;
    exerciseReconnected(); // a counted exercise the lost connection stopped goes on
    if (app.sendTimer) clearInterval(app.sendTimer);
    app.sendTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN || !ui.video.videoWidth || pause()) return;
      const now = performance.now();
      if (app.inFlight >= 2 && now - app.lastReplyAt < 1500) return; // the server is busy: skip this picture
      if (now - app.lastReplyAt >= 1500) app.inFlight = 0;
      const vw = ui.video.videoWidth, vh = ui.video.videoHeight;
      const s = Math.min(1, SEND_SHORT_SIDE / Math.min(vw, vh));
      grab.width = Math.round(vw * s); grab.height = Math.round(vh * s);
      grab.getContext("2d").drawImage(ui.video, 0, 0, grab.width, grab.height);
      app.inFlight += 1;
      if (!app.lastReplyAt) app.lastReplyAt = now;
      grab.toBlob((blob) => { if (blob && ws.readyState === WebSocket.OPEN) ws.send(blob); }, "image/jpeg", 0.8);
    }, 1000 / SEND_FPS);
  });
}
