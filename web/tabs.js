/* This browser's other tabs of the page: whether one of them has a guided test under way on this device's camera.
 *
 * The address opened twice (a second tab, a second window) made two tests on the one camera: a test under way in
 * the hidden tab paused, the new one ran in the other, and the person's results came in two halves. A tab holds a
 * Web Lock (navigator.locks) while its own test on this device's camera is under way; a tab asked to start a test
 * while another holds it says so and starts none. The browser releases a lock when its tab goes, however it goes:
 * told over a BroadcastChannel at `pagehide`, a tab that crashed or was killed (no `pagehide`) left the others
 * refusing every test until they were reloaded. (The server camera's test is one test, the same in every tab.)
 *
 * Each tab also has an id of its own (``tabPageId``), under which the server keeps its test on this device's camera
 * a while when its connection drops (server/parked.py). It lives in sessionStorage, so a reload takes its test back;
 * but a tab duplicated (or opened by window.open) begins with a copy of its original's sessionStorage: the copy's
 * connection took the original's test under way, ended the original's connection, and the two took it from each
 * other at every reconnection. A tab holds a Web Lock named by its id while it lives: a copy finds it held by a live
 * tab and makes an id of its own; a reload finds it let go by the page it replaces.
 */

const LOCK = "hiprom.test";
const PAGE_KEY = "hiprom.page"; // sessionStorage: this tab's id
const PAGE_LOCK = "hiprom.page."; // + the id: held by the tab whose id it is, while it lives
/** How long a page waits for its id's lock: the page a reload replaces lets it go within a moment of going; a live
 * tab (this one's original) never does. */
const PAGE_WAIT_MS = 1500;
const locks = navigator.locks || null;
let mine = false;
let release = null; // ends this tab's hold of the lock
let released = Promise.resolve(); // settles once this tab's last hold has ended

/** Whether this tab's own test on this device's camera is under way (held as the lock while it is). */
export function testUnderWayHere(underWay) {
  if (underWay === mine) return;
  mine = underWay;
  if (!locks) return;
  if (!underWay) {
    if (release) release();
    release = null;
    return;
  }
  // Not waited for when another tab holds it (two tests begun at the same moment): this one goes on unheld.
  released = locks.request(LOCK, { ifAvailable: true }, (lock) => (
    lock && mine ? new Promise((resolve) => { release = resolve; }) : null));
}

/** Whether another tab of this browser has a test under way on this device's camera (a promise). */
export async function testUnderWayElsewhere() {
  if (!locks || mine) return false;
  await released.catch(() => {}); // this tab's own hold, just ended, is not another's
  const { held } = await locks.query();
  return held.some((lock) => lock.name === LOCK);
}

const freshId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Whether this tab took its id's lock (held until the tab goes), within PAGE_WAIT_MS. */
function holdId(id) {
  return new Promise((resolve) => {
    locks.request(PAGE_LOCK + id, { signal: AbortSignal.timeout(PAGE_WAIT_MS) }, () => {
      resolve(true);
      return new Promise(() => {}); // held for the tab's life
    }).catch(() => resolve(false));
  });
}

async function claimId() {
  let stored = null;
  try { stored = sessionStorage.getItem(PAGE_KEY); } catch { /* storage refused: an id per page load */ }
  let id = stored || freshId();
  if (locks && !(await holdId(id))) {
    id = freshId(); // a live tab holds it: this tab is its copy
    await holdId(id);
  }
  try { sessionStorage.setItem(PAGE_KEY, id); } catch { /* as above */ }
  return id;
}

let claimed = null;

/** This tab's own random id (a promise): kept across its reloads (sessionStorage), never a live tab's (a tab
 * duplicated makes its own). Without Web Locks (a page not on https nor this computer, where this device's camera
 * cannot be used either) the stored id is kept. */
export function tabPageId() {
  if (!claimed) claimed = claimId();
  return claimed;
}
