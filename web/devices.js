/* Signing in another device (a server reachable from other machines): "Add a device" asks the server for a
 * one-use sign-in link and shows it as text and as a QR code to scan. The access token itself never reaches
 * the page (it is an HttpOnly cookie) nor any address. */

import { httpUrl } from "./connection.js";
import { el } from "./dom.js";

/** Offer "Add a device" and "Sign out" (this device's cookie cleared, ``POST /signout``) in the footer (``foot``)
 * when this server needs sign-in (``info.token_required``). */
export function offerAddDevice(info, foot) {
  if (!info.token_required) return;
  const text = el("p", { id: "add-device-text" }, "");
  const link = el("code", { id: "add-device-link", class: "link-text" }, "");
  const qr = el("img", { id: "add-device-qr", class: "qr", alt: "The sign-in link as a QR code: scan it with the other device's camera" });
  qr.hidden = true;
  const close = el("button", { type: "button", id: "add-device-close" }, "Close");
  const dialog = el("dialog", { id: "add-device", "aria-labelledby": "add-device-title" },
    el("h2", { id: "add-device-title" }, "Add a device"), text, link, qr, el("div", { class: "buttons" }, close));
  close.addEventListener("click", () => dialog.close());
  const open = el("button", { type: "button", id: "btn-add-device" }, "Add a device");
  open.addEventListener("click", async () => {
    text.textContent = "Making a sign-in link…";
    link.textContent = "";
    qr.hidden = true;
    dialog.showModal();
    try {
      const r = await fetch(httpUrl("api/signin-links"), { method: "POST", credentials: "same-origin" });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${r.status}`);
      text.textContent = `On the other device, scan this code or open this link. It works once, within `
        + `${Math.round(body.expires_s / 60)} minutes, and signs that device in to this hiprom.`;
      link.textContent = body.url;
      qr.src = body.qr;
      qr.hidden = false;
    } catch (e) {
      text.textContent = `No sign-in link could be made (${e.message}): reload this page and try again.`;
    }
  });
  const signOut = el("button", { type: "button", id: "btn-sign-out",
    title: "This device forgets its sign-in (it needs a new sign-in link); other devices stay signed in" }, "Sign out");
  signOut.addEventListener("click", async () => {
    // A fetch, not a form: a form's post carries "Origin: null" under the page's no-referrer policy (refused).
    const r = await fetch(httpUrl("signout"), { method: "POST", credentials: "same-origin" }).catch(() => null);
    if (r && r.ok) location.assign(httpUrl("/"));  // now the page that says this device is not signed in
    else signOut.textContent = "Sign out (failed: reload and try again)";
  });
  foot.append(open, signOut, dialog);
}
