// What a start waits for, as User Timing entries of the window's first half minute (the
// inspector and benches/coldstart.mjs read them; the browser keeps every entry for the page's
// life, so they stop after that): each command (`ipc <name>`, api.ts), a few steps of the
// first screen (`mark`), and each stretch the page's own thread was too busy to run anything
// else (`busy`): an answer that arrived meanwhile waited for it.
export const TIMED_MS = 30_000

/** A step of the first screen, at this instant. */
export function mark(name: string) {
  if (performance.now() <= TIMED_MS) performance.mark(name)
}

/** The page's thread was busy if a 10 ms timer ran this much late. */
const BUSY_MS = 50

/** Note each busy stretch of the first half minute as a `busy` measure. */
export function watchBusy() {
  let last = performance.now()
  const tick = setInterval(() => {
    const now = performance.now()
    if (now - last > BUSY_MS) performance.measure('busy', { start: last, end: now })
    last = now
    if (now > TIMED_MS) clearInterval(tick)
  }, 10)
}
