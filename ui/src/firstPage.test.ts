import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

// The module keeps one promise for the window's life: each test loads it afresh.
async function load() {
  vi.resetModules()
  return import('./composables/firstPage')
}

async function settled(p: Promise<void>) {
  let done = false
  p.then(() => (done = true))
  await Promise.resolve()
  await Promise.resolve()
  return done
}

describe('work the first screen does not show', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('waits for the first page to have its rows', async () => {
    const { afterFirstPage, firstPageShown } = await load()
    const waiting = afterFirstPage()
    vi.advanceTimersByTime(1000)
    expect(await settled(waiting)).toBe(false)
    firstPageShown()
    expect(await settled(waiting)).toBe(true)
    // Later askers (a refresh after sync) do not wait at all.
    expect(await settled(afterFirstPage())).toBe(true)
  })

  it('starts anyway when the first page loads nothing of its own', async () => {
    const { afterFirstPage } = await load()
    const waiting = afterFirstPage()
    vi.advanceTimersByTime(1499)
    expect(await settled(waiting)).toBe(false)
    vi.advanceTimersByTime(1)
    expect(await settled(waiting)).toBe(true)
  })

  it('counts the fallback from the first asking, not from loading the page', async () => {
    const { afterFirstPage } = await load()
    // The sign-in screen may stand for minutes before anyone asks.
    vi.advanceTimersByTime(60_000)
    const waiting = afterFirstPage()
    expect(await settled(waiting)).toBe(false)
    vi.advanceTimersByTime(1500)
    expect(await settled(waiting)).toBe(true)
  })
})
