/* The status line under the bar, its "What to do" link, and the connection badge. */

import { app, setText, ui } from "./state.js";

/** Where the page's help says what to do, per status code. */
const HELP = {
  model_missing: "model",
  camera_missing: "camera",
  source_error: "camera",
  no_source: "camera",
  no_camera: "device-camera",
  camera_denied: "device-camera",
  camera_lost: "device-camera",
  camera_muted: "device-camera",
  no_camera_api: "device-camera",
  token: "token",
  disconnected: "server",
};

let connKind = "";
let connText = "";

/** Show the server's (or the page's) status; an error that blocks measuring also blocks the guide. */
export function setStatus(status) {
  if (!status) return;
  ui.status.className = `status ${status.level || "info"}`;
  setText(ui.statusText, status.text || "");
  ui.statusText.title = status.detail || "";
  ui.status.dataset.code = status.code || "";
  const anchor = HELP[status.code];
  ui.statusHelp.hidden = !anchor;
  if (anchor) ui.statusHelp.href = `static/help.html#${anchor}`;
  app.blocked = status.blocking ? status : null;
  paintConn();
}

export function setConn(kind, text) {
  connKind = kind; connText = text;
  paintConn();
}

function paintConn() {
  // Connected to a server that cannot measure is not "live": the dot says so.
  const blocked = connKind === "up" && app.blocked;
  ui.conn.className = `conn ${blocked ? "blocked" : connKind}`;
  setText(ui.connText, blocked ? "not measuring" : connText);
}
