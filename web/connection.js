/* The link to the server: its URLs (never carrying the token: the server's HttpOnly cookie does),
   one WebSocket that reconnects. */

import { app } from "./state.js";
import { setConn, setStatus } from "./status.js";

const handlers = { message: () => {}, lost: () => {}, reconnect: () => {} };
/** The close code of a WebSocket whose device was signed out while it was open (policy violation). */
const SIGNED_OUT = 1008;

/** What to do with each message, when the link drops, and how to start again after. */
export function setHandlers({ message, lost, reconnect }) {
  handlers.message = message;
  handlers.lost = lost;
  handlers.reconnect = reconnect;
}

export function httpUrl(path) {
  return new URL(path, location.href).toString();
}

export function wsUrl(path, extra) {
  const u = new URL(path, location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(extra || {})) u.searchParams.set(k, v);
  return u.toString();
}

export function closeSocket() {
  if (app.retryTimer) { clearTimeout(app.retryTimer); app.retryTimer = null; }
  if (app.ws) {
    const ws = app.ws;
    app.ws = null;
    ws.onclose = null; ws.onmessage = null; ws.onerror = null;
    try { ws.close(); } catch (e) { /* already closed */ }
  }
}

export function openSocket(url, onOpen) {
  closeSocket();
  setConn("", "connecting…");
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  app.ws = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    app.retry = 0;
    setConn("up", app.mode === "server" ? "live" : "device camera");
    if (onOpen) onOpen(ws);
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data !== "string") return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    handlers.message(msg);
  };
  ws.onclose = (ev) => {
    if (app.ws !== ws) return;
    if (ev.code === SIGNED_OUT) {
      // This device was signed out (at the computer, or from another device): the server's page says what to do.
      location.assign(httpUrl("/"));
      return;
    }
    if (!opened) leaveIfSignedOut();
    app.ws = null;
    setConn("down", "disconnected");
    setStatus({ level: "error", code: "disconnected", text: "Connection to the hiprom server lost: reconnecting…" });
    handlers.lost();
    const delay = Math.min(5000, 500 * 2 ** app.retry++);
    app.retryTimer = setTimeout(() => handlers.reconnect(), delay);
  };
}

/** Open the server's page (which says what to do) when this device is no longer signed in: a connection refused
 * at its start says nothing the page can read. */
function leaveIfSignedOut() {
  fetch(httpUrl("api/info"), { credentials: "same-origin" })
    .then((r) => { if (r.status === 401) location.assign(httpUrl("/")); })
    .catch(() => {});
}

/** Send a JSON message when the link is open; dropped otherwise. */
export function send(message) {
  if (app.ws && app.ws.readyState === WebSocket.OPEN) {
    app.ws.send(JSON.stringify(message));
  }
}

/** The API's own words for a refusal: its one-line ``detail``, or the first of a validation list; else its status. */
export function detailWords(detail, status) {
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) return String(detail[0].msg || `the server answered ${status}`);
  return `the server answered ${status}`;
}
