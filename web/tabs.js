/* This browser's other tabs of the page: whether one of them has a guided test under way on this device's camera.
 *
 * The address opened twice (a second tab, a second window) made two tests on the one camera: a test under way in
 * the hidden tab paused, the new one ran in the other, and the person's results came in two halves. A tab holds a
 * Web Lock (navigator.locks) while its own test on this device's camera is under way; a tab asked to start a test
 * while another holds it says so and starts none. The browser releases a lock when its tab goes, however it goes:
 * told over a BroadcastChannel at `pagehide`, a tab that crashed or was killed (no `pagehide`) left the others
 * refusing every test until they were reloaded. (The server camera's test is one test, the same in every tab.)
 */

const LOCK = "hiprom.test";
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
