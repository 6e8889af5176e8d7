// Work the first screen does not show — the header's case count, the overdue watch's desk —
// waits until the first page has its rows: over a district's million cases each is a query
// of its own, and the store answers one command at a time, so asked together they would
// stand in front of the list (issue 22: the first screen must not wait for counts it does
// not show). A page that loads nothing of its own never says so: after FALLBACK_MS from the
// first sign-in the work starts anyway.
const FALLBACK_MS = 1500

let shown: () => void = () => {}
let timer: ReturnType<typeof setTimeout> | undefined
const ready = new Promise<void>((resolve) => (shown = resolve))

/** The first page has what it shows (or failed to get it): deferred work may start. */
export function firstPageShown() {
  clearTimeout(timer)
  shown()
}

/** Resolves once the first page has its rows, or FALLBACK_MS after this is first awaited. */
export function afterFirstPage(): Promise<void> {
  timer ??= setTimeout(firstPageShown, FALLBACK_MS)
  return ready
}
