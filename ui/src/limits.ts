// Text limits the core enforces, as its catalogue says them (`Catalog.max_text`), checked
// before a save so a too-long text is named with its length instead of being cut or refused
// late. Until the catalogue is loaded there is no limit here: the core still refuses.
import { useAppStore } from './stores/app'

export function maxText(): number {
  return useAppStore().catalog?.max_text ?? Infinity
}

/** Characters as the core counts them (code points). */
export function length(s: string): number {
  return [...s].length
}
