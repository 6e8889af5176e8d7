import { afterEach, expect, it, vi } from 'vitest'
import { mark, TIMED_MS, watchBusy } from './timing'

let now = 0
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  performance.clearMeasures()
  performance.clearMarks()
})

/** Let the page's clock reach `to`, the watcher's timer firing once there. */
function reach(to: number) {
  now = to
  vi.advanceTimersByTime(10)
}

it('notes a stretch the thread was busy, not a timer that ran on time', () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  vi.spyOn(performance, 'now').mockImplementation(() => now)
  now = 100
  watchBusy()
  reach(110)
  reach(120)
  expect(performance.getEntriesByName('busy')).toHaveLength(0)
  reach(420) // 300 ms without a tick: something held the thread
  reach(430)
  const busy = performance.getEntriesByName('busy')
  expect(busy.map((e) => [e.startTime, e.duration])).toEqual([[120, 300]])
})

it('stops after the first half minute, so the page does not keep entries for its life', () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  vi.spyOn(performance, 'now').mockImplementation(() => now)
  now = 0
  watchBusy()
  reach(TIMED_MS + 10)
  expect(vi.getTimerCount()).toBe(0)
  mark('late')
  expect(performance.getEntriesByName('late')).toHaveLength(0)
  now = 5
  mark('early')
  expect(performance.getEntriesByName('early')).toHaveLength(1)
})
