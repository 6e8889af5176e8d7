import { nextTick } from 'vue'
import type { Router } from 'vue-router'

/**
 * The page area scrolls as one element (el-main) that stays while pages change under it, so a
 * page opened from the bottom of a tall one (a linked case at the foot of a case's trace, a
 * meeting's decision) would open scrolled down by as much. A new page opens at its top; a
 * change of query only (a list's filter, its page) keeps the place the secretary was reading.
 */
export function pageScroll(router: Router, area: () => { scrollTop: number } | null | undefined): () => void {
  return router.afterEach((to, from, failure) => {
    if (failure || to.path === from.path) return
    // After the new page has rendered: scrolling first would leave the old page's content to
    // scroll, and the new one would inherit the old offset.
    nextTick(() => {
      const el = area()
      if (el) el.scrollTop = 0
    })
  })
}
