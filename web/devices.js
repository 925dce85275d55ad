/* Signed-in devices (a server reachable from other machines): "Add a device" asks the server for a one-use
 * sign-in link and shows it as text and as a QR code to scan; "Devices" lists the devices signed in and signs
 * any one out (a lost tablet); "Sign out" signs this one out. The page never holds a secret: its sign-in is
 * an HttpOnly cookie, never in any address. */

import { httpUrl } from "./connection.js";
import { el } from "./dom.js";

/** Offer "Add a device", "Devices" and "Sign out" (this device's sign-in ended, ``POST /signout``) in the
 * footer (``foot``) when this server needs sign-in (``info.token_required``). */
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
  const devices = offerDevices();
  const signOut = el("button", { type: "button", id: "btn-sign-out",
    title: "This device forgets its sign-in (it needs a new sign-in link); other devices stay signed in" }, "Sign out");
  signOut.addEventListener("click", async () => {
    // A fetch, not a form: a form's post carries "Origin: null" under the page's no-referrer policy (refused).
    const r = await fetch(httpUrl("signout"), { method: "POST", credentials: "same-origin" }).catch(() => null);
    if (r && r.ok) location.assign(httpUrl("/"));  // now the page that says this device is not signed in
    else signOut.textContent = "Sign out (failed: reload and try again)";
  });
  foot.append(open, devices.open, signOut, dialog, devices.dialog);
}

const TIME = { weekday: "short", hour: "2-digit", minute: "2-digit" };

/** The "Devices" button and its dialog: each signed-in device (its browser and system, when it signed in and
 * was last seen) with a button that signs it out (``DELETE /api/devices/ID``); its live page then ends. */
function offerDevices() {
  const text = el("p", { id: "devices-text" }, "");
  const list = el("ul", { id: "devices-list", class: "devices" });
  const close = el("button", { type: "button", id: "devices-close" }, "Close");
  const dialog = el("dialog", { id: "devices", "aria-labelledby": "devices-title" },
    el("h2", { id: "devices-title" }, "Signed-in devices"), text, list, el("div", { class: "buttons" }, close));
  close.addEventListener("click", () => dialog.close());

  async function show() {
    list.replaceChildren();
    text.textContent = "Asking the server…";
    try {
      const r = await fetch(httpUrl("api/devices"), { credentials: "same-origin" });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${r.status}`);
      text.textContent = `Sign out a device that is lost or lent out: it needs a new sign-in link to come back. `
        + `A device not used for ${body.idle_hours} hours is signed out by itself.`;
      for (const d of body.devices) list.append(deviceRow(d));
    } catch (e) {
      text.textContent = `The list could not be read (${e.message}): reload this page and try again.`;
    }
  }

  function deviceRow(d) {
    const when = `signed in ${new Date(d.signed_in).toLocaleString([], TIME)}, last used ${new Date(d.last_seen).toLocaleString([], TIME)}`;
    const out = el("button", { type: "button", class: "device-sign-out", "data-device": d.id },
      d.this_device ? "Sign out this device" : "Sign out");
    out.addEventListener("click", async () => {
      const r = await fetch(httpUrl(`api/devices/${encodeURIComponent(d.id)}`),
        { method: "DELETE", credentials: "same-origin" }).catch(() => null);
      if (r && (r.ok || r.status === 404)) {
        if (d.this_device) location.assign(httpUrl("/"));  // now the page that says this device was signed out
        else show();
      } else out.textContent = "Sign out (failed: try again)";
    });
    return el("li", { class: "device" }, el("span", { class: "device-name" }, d.description + (d.this_device ? " (this device)" : "")),
      el("span", { class: "device-when" }, when), out);
  }

  const open = el("button", { type: "button", id: "btn-devices" }, "Devices");
  open.addEventListener("click", () => { dialog.showModal(); show(); });
  return { open, dialog };
}
