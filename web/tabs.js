/* This browser's other tabs of the page: which of them has a guided test under way on this device's camera.
 *
 * The address opened twice (a second tab, a second window) made two tests on the one camera: a test under way in
 * the hidden tab paused, the new one ran in the other, and the person's results came in two halves. Each tab
 * tells the others (a BroadcastChannel) when its own test on this device's camera starts or ends; a tab asked to
 * start a test while another has one under way says so and starts none. (The server camera's test is one test,
 * the same in every tab.)
 */

const TAB = Math.random().toString(36).slice(2);
const channel = "BroadcastChannel" in window ? new BroadcastChannel("hiprom.tests") : null;
const busy = new Set(); // the other tabs with a test under way on this device's camera
let mine = false;

if (channel) {
  channel.onmessage = ({ data }) => {
    if (data.tab === TAB) return;
    if (data.ask) { if (mine) channel.postMessage({ tab: TAB, underWay: true }); return; }
    if (data.underWay) busy.add(data.tab); else busy.delete(data.tab);
  };
  channel.postMessage({ tab: TAB, ask: true }); // a tab just opened learns of a test already under way
  window.addEventListener("pagehide", () => { if (mine) channel.postMessage({ tab: TAB, underWay: false }); });
}

/** Whether this tab's own test on this device's camera is under way (told to the other tabs when it changes). */
export function testUnderWayHere(underWay) {
  if (underWay === mine) return;
  mine = underWay;
  if (channel) channel.postMessage({ tab: TAB, underWay });
}

/** Whether another tab of this browser has a test under way on this device's camera. */
export const testUnderWayElsewhere = () => busy.size > 0;
