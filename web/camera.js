/* This device's camera: getUserMedia, JPEG pictures sent to /ws/camera at most SEND_FPS a second.
 *
 * While this mode is chosen the server's own feed is closed. A camera that
 * cannot be used (none, permission refused) is shown over the picture with
 * what to do, and stays there until the user acts. A camera that stops while
 * connected (unplugged, taken by another program) is shown the same way, but
 * the connection, and with it a test under way, stays: the camera is asked for
 * again every REGAIN_MS, and measuring goes on where the test was once it is back. */

import { app, ui } from "./state.js";
import { closeSocket, openSocket, send, wsUrl } from "./connection.js";
import { setStatus } from "./status.js";
import { say, sayWhereItIs } from "./speech.js";
import { exerciseReconnected } from "./exercises.js";
import { tabPageId } from "./tabs.js";

const SEND_FPS = 15;            // pictures per second sent at most
// Pictures are sent with their shorter side at most 480 px: the size hiprom's accuracy is validated at
// (docs/accuracy.md). A 1280x720 camera is sent at 853x480, not squeezed to 640x360.
const SEND_SHORT_SIDE = 480;
const SILENT_MS = 8000;         // pictures unanswered this long: the server is said not to answer (its slowest step,
                                // the analysis at the end of a test, takes a second or two)
const LATE_MS = 1000;           // a send tick this late with the page in front: this computer was too busy to send
                                // pictures (the guide's MAX_UNSEEN_S: a gap it does not count as held)
const REGAIN_MS = 2000;         // a camera that stopped is asked for again this often (the server camera's retry)
const CONSTRAINTS = { video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false };

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
    text: "It was unplugged, switched off or taken by another program. Plug it back in or close that program: measuring goes on by itself once it is back, the test where it was (or press Try again). Or use the server camera.",
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

/** Show a camera problem over the picture (what it is, what to do). */
function showOverlay(p) {
  app.cameraError = p.code;
  ui.cameraErrorTitle.textContent = p.title;
  ui.cameraErrorText.textContent = p.text;
  ui.cameraError.hidden = false;
  ui.caption.textContent = "this device's camera: not available";
}

/** Show a camera problem over the picture and in the status line; it stays until the user acts. */
function showProblem(kind, err) {
  const p = PROBLEMS[kind];
  stopBrowserCamera();
  closeSocket();
  showOverlay(p);
  setStatus({ level: "error", code: p.code, text: `${p.title}.`, detail: err ? `${err.name || ""} ${err.message || ""}`.trim() : "", blocking: true });
  say(`${p.title}.`);
  ui.cameraRetry.focus();
}

export function clearProblem() {
  app.cameraError = null;
  ui.cameraError.hidden = true;
  app.cameraLost = false;
  if (app.regainTimer) { clearTimeout(app.regainTimer); app.regainTimer = null; }
}

function stopTracks() {
  if (app.stream) {
    for (const t of app.stream.getTracks()) { t.onended = t.onmute = t.onunmute = null; t.stop(); }
    app.cameraMuted = false;
    app.stream = null;
  }
  ui.video.srcObject = null;
}

export function stopBrowserCamera() {
  if (app.sendTimer) { clearInterval(app.sendTimer); app.sendTimer = null; }
  app.paused = null;
  stopTracks();
  ui.video.hidden = true;
}

/** The camera stopped (its track ended: unplugged, taken by another program): shown over the picture and said;
 * no picture is sent, the server is told why, and the connection, with the test under way, stays. Before, the
 * connection was closed with it: the test went back to its start unsaid, after Try again. The same while the
 * connection is being opened or opened again: before, the camera was then never asked for again, though the
 * page said measuring would go on by itself once it was back. */
function cameraLost() {
  if (app.mode !== "browser" || app.cameraLost) return;
  app.cameraLost = true;
  stopTracks();
  showOverlay(PROBLEMS.lost);
  pause();
  app.regainTimer = setTimeout(regainCamera, REGAIN_MS);
}

/** Ask for the camera again (every REGAIN_MS while it is lost, or at Try again); once it is back, pictures
 * are sent on the same connection and the guide says where the test is. */
export async function regainCamera() {
  if (app.regainTimer) { clearTimeout(app.regainTimer); app.regainTimer = null; }
  if (!app.cameraLost || app.regaining) return;
  app.regaining = true;
  let stream = null;
  try { stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS); } catch (e) { stream = null; }
  app.regaining = false;
  if (!app.cameraLost || app.mode !== "browser") { if (stream) for (const t of stream.getTracks()) t.stop(); return; }
  if (!stream) { app.regainTimer = setTimeout(regainCamera, REGAIN_MS); return; }
  app.stream = stream;
  watchTrack(stream.getVideoTracks()[0]);
  ui.video.srcObject = stream;
  await ui.video.play().catch(() => {});
  clearProblem();
  ui.caption.textContent = "this device's camera";
  pause(); // "The camera is back." and where the test is
}

function watchTrack(track) {
  if (!track) return;
  track.onended = () => { if (app.mode === "browser") cameraLost(); };
  track.onmute = () => { app.cameraMuted = true; pause(); };
  track.onunmute = () => { app.cameraMuted = false; };
}

/** Whether the camera's track has ended: a track stopped by the browser or the system may end without its
 * "ended" event (the pictures then sent were black, measured as "Nobody in view"). */
function trackEnded() {
  const track = app.stream && app.stream.getVideoTracks()[0];
  return Boolean(track && track.readyState === "ended");
}

/** Why no picture can be sent now (this tab hidden: the browser slows its timers to one a second and
 * may freeze the picture; the camera muted: it sends no pictures, taken by another program or
 * covered), as the status the page shows; null when pictures can be sent. */
const PAUSES = {
  hidden: { level: "warn", code: "paused_hidden", text: "Measuring paused while this tab is hidden: come back to it to go on." },
  lost: { level: "error", code: "camera_lost", text: "The camera stopped: plug it back in, or close the program that took it. The test goes on once it is back.", blocking: true },
  muted: { level: "warn", code: "camera_muted", text: "The camera sends no pictures: close any other program that uses it, or open its cover." },
};
/** Said as pictures go again after each pause, before where the guided test is. */
const RESUMED = { hidden: "Measuring again.", lost: "The camera is back.", muted: "The camera sends pictures again." };

function pause() {
  const why = app.cameraLost ? "lost" : document.hidden ? "hidden" : app.cameraMuted ? "muted" : null;
  if (why !== app.paused) {
    const was = app.paused;
    app.paused = why;
    if (why) {
      setStatus(PAUSES[why]);
      say(PAUSES[why].text);
      send({ type: "paused", why }); // a turn the pause cost then says this cause, not the other
    } else if (was) {
      setStatus({ level: "info", code: "resumed", text: RESUMED[was] });
      sayWhereItIs(RESUMED[was], app.state); // the person heard nothing meanwhile
    }
  }
  return why;
}

/** The pause's status while no picture is sent (an answer still on its way must not hide it), else null. */
export function pauseStatus() {
  return app.mode === "browser" && app.paused ? PAUSES[app.paused] : null;
}

/** The server answered a picture (``msg``): one fewer in flight; after a silence, said with where the test is. */
export function frameAnswered(msg) {
  app.inFlight = Math.max(0, app.inFlight - 1);
  app.lastReplyAt = performance.now();
  app.waitingSince = 0;
  app.answeredHere = true;
  if (app.serverSilent) {
    app.serverSilent = false;
    sayWhereItIs("Connection back.", msg.state);
  }
}

const SILENT = { level: "warn", code: "no_answer", text: "The hiprom server does not answer (the network may be down): waiting for it…" };

/** Pictures sent for SILENT_MS and none answered (the network down, the server's computer busy or asleep): said,
 * once. The connection stays open meanwhile, and with it a test under way. Before, the page said nothing: the
 * status line kept "Measuring both legs." over dials that no longer moved. */
function checkSilence(now) {
  if (!app.answeredHere || !app.waitingSince || now - app.waitingSince < SILENT_MS || app.serverSilent) return;
  app.serverSilent = true;
  setStatus(SILENT);
  say(SILENT.text);
}

/** This tick of the send timer came more than LATE_MS after the last with the page in front and sending: this
 * computer was too busy to send pictures (another program taking it). The server is told before the next
 * picture, so a turn the gap cut says to close other programs. Before, it said to keep this page on screen. */
function tellIfLate(now) {
  const late = app.lastTickAt && now - app.lastTickAt > LATE_MS && !app.paused && !document.hidden;
  app.lastTickAt = now;
  if (late) send({ type: "paused", why: "busy" });
}

export async function startBrowserMode() {
  closeSocket(); // the server's own feed stops showing at once
  ui.mjpeg.removeAttribute("src");
  ui.mjpeg.hidden = true;
  app.source = { kind: "browser", preview: true, mirrored: false };
  if (!app.cameraLost) { // a camera that stopped is still asked for again (regainCamera), over the new connection
    clearProblem();
    ui.caption.textContent = "this device's camera";
  }
  if (!app.stream && !app.cameraLost) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { showProblem("api"); return; }
    setStatus({ level: "info", code: "asking", text: "Asking for the camera…" });
    try {
      app.stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    } catch (e) {
      if (app.mode === "browser") showProblem(kindOf(e), e);
      return;
    }
    if (app.mode !== "browser") { stopBrowserCamera(); return; } // switched back while asking
    watchTrack(app.stream.getVideoTracks()[0]);
  }
  ui.video.srcObject = app.stream;
  ui.video.hidden = false;
  await ui.video.play().catch(() => {});
  if (!app.pageId) app.pageId = await tabPageId();
  if (app.mode !== "browser") return; // switched back while it was asked
  const grab = document.createElement("canvas");
  openSocket(wsUrl("ws/camera", { page: app.pageId }), (ws) => {
    app.inFlight = 0;
    app.waitingSince = 0;
    app.serverSilent = false;
    app.answeredHere = false; // silence is told only once the server has answered here (not while its model loads)
    exerciseReconnected(); // a counted exercise the lost connection stopped goes on
    if (app.sendTimer) clearInterval(app.sendTimer);
    app.lastTickAt = 0;
    app.sendTimer = setInterval(() => {
      tellIfLate(performance.now());
      if (trackEnded()) cameraLost();
      if (ws.readyState !== WebSocket.OPEN || pause() || !ui.video.videoWidth) { app.waitingSince = 0; return; }
      const now = performance.now();
      checkSilence(now);
      if (app.inFlight >= 2 && now - app.lastReplyAt < 1500) return; // the server is busy: skip this picture
      if (now - app.lastReplyAt >= 1500) app.inFlight = 0;
      const vw = ui.video.videoWidth, vh = ui.video.videoHeight;
      const s = Math.min(1, SEND_SHORT_SIDE / Math.min(vw, vh));
      grab.width = Math.round(vw * s); grab.height = Math.round(vh * s);
      grab.getContext("2d").drawImage(ui.video, 0, 0, grab.width, grab.height);
      app.inFlight += 1;
      if (!app.waitingSince) app.waitingSince = now;
      if (!app.lastReplyAt) app.lastReplyAt = now;
      grab.toBlob((blob) => { if (blob && ws.readyState === WebSocket.OPEN) ws.send(blob); }, "image/jpeg", 0.8);
    }, 1000 / SEND_FPS);
  });
}
