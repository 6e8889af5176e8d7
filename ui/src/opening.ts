// What the sign-in screen says while the store's opening runs the work an upgrade left
// (the core's `Opening`): the step, how far when it is counted, and how long it has taken.
import type { OpeningProgress } from './bindings/OpeningProgress'

type T = (key: string, params?: Record<string, unknown>) => string

/** How far the step is (0–100), or null when the step is not counted. */
export function openingPercent(p: OpeningProgress): number | null {
  if (p.total <= 0) return null
  return Math.min(100, Math.floor((p.done * 100) / p.total))
}

/** The step in the secretary's words, with its count where it has one. */
export function openingStepText(t: T, p: OpeningProgress): string {
  const n = (x: number) => x.toLocaleString('zh-CN')
  // A version is told before it runs: the one under way is the next after those done.
  const done = p.step === 'migrating' ? p.done + 1 : p.done
  return t(`opening.steps.${p.step}`, { done: n(done), total: n(p.total) })
}

/** Time taken so far: seconds, then minutes and seconds. */
export function openingElapsed(t: T, ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return s < 60
    ? t('opening.seconds', { s })
    : t('opening.minutes', { m: Math.floor(s / 60), s: String(s % 60).padStart(2, '0') })
}
