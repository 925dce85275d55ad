/* The status line under the bar and the connection badge. */

import { ui } from "./state.js";

export function setStatus(status) {
  if (!status) return;
  ui.status.className = `status ${status.level || "info"}`;
  ui.statusText.textContent = status.text || "";
  ui.status.dataset.code = status.code || "";
}

export function setConn(kind, text) {
  ui.conn.className = `conn ${kind}`;
  ui.connText.textContent = text;
}
