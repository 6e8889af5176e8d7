// Text limits the core enforces (`jiesu_protocol::validate::MAX_TEXT`), checked before a save
// so a too-long text is named with its length instead of being cut or refused late.
export const MAX_TEXT = 4000

/** Characters as the core counts them (code points). */
export function length(s: string): number {
  return [...s].length
}
