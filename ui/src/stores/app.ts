import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../api'
import type { AppInfo } from '../bindings/AppInfo'
import type { Catalog } from '../bindings/Catalog'
import { i18n } from '../i18n'
import { categoryPaths } from '../format'
import { officeNamer } from '../timeline'
import { afterFirstPage } from '../composables/firstPage'

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const catalog = ref<Catalog | null>(null)
  // The store's clock (the PC's, corrected by the server's, or pinned for a test) minus the
  // page's: every "now" the window uses — 本月, "time left", a new meeting's date — follows
  // the clock deadlines are judged by, never the page's own `Date.now()`.
  let clockOffset = 0
  /** The store's clock now (ms), read between ticks. */
  function clockNow(): number {
    return Date.now() + clockOffset
  }
  // Ticks once a minute so "time left" labels and the dashboard's 本月 stay true while the
  // window is open (across midnight and the turn of a month too).
  const now = ref(Date.now())
  setInterval(() => (now.value = clockNow()), 60_000)
  /** Learn the store's clock from a reading of it (`storeNow`, ms). */
  function syncClock(storeNow: number) {
    clockOffset = storeNow - Date.now()
    now.value = storeNow
  }

  async function refresh() {
    // While the store opens after the window showed, its opening holds it: nothing else is
    // asked (a question would wait for minutes on one of the shell's worker threads). Once
    // the store is known open, both questions go at once (the sign-in → first rows path).
    const open = !!info.value && !info.value.opening && !info.value.open_failed
    const asked = open ? api.catalog() : null
    const i = await api.appInfo()
    syncClock(i.now)
    info.value = i
    if (i.opening || i.open_failed) return
    catalog.value = await (asked ?? api.catalog())
    recount()
  }

  /** Ask again every half second while the store is opening; done once it is open (or its
   * opening failed, which `info.open_failed` says). */
  async function untilOpened() {
    while (info.value?.opening) {
      await new Promise((r) => setTimeout(r, 500))
      await refresh()
    }
  }

  // The header's case count: asked after the first page has its rows and then after each
  // refresh, never waited for. One question at a time; a refresh meanwhile asks once more.
  const caseCount = ref<number | null>(null)
  let counting: Promise<void> | null = null
  let countAgain = false
  function recount() {
    if (!info.value?.session) {
      caseCount.value = null
      return
    }
    if (counting) {
      countAgain = true
      return
    }
    counting = afterFirstPage()
      .then(() => api.caseCount())
      .then((n) => void (caseCount.value = n))
      .catch((e) => console.warn('case count', e))
      .finally(() => {
        counting = null
        if (countAgain) {
          countAgain = false
          recount()
        }
      })
  }

  const categoryName = computed(() => {
    const paths = categoryPaths(catalog.value?.categories ?? [], i18n.global.locale.value)
    return (code: string) => paths.get(code) ?? code
  })
  const unitName = computed(() => {
    const units = [...(catalog.value?.other_units ?? []), ...(catalog.value?.units ?? [])]
    const m = new Map(units.map((u) => [u.code, u.name]))
    return (code: string | null) => (code ? (m.get(code) ?? code) : '—')
  })

  // Offices by name: this PC's own, the server's directory, and "local" for steps taken before
  // this PC (or the one that took them) joined the server.
  const officeName = computed(() =>
    officeNamer(catalog.value?.offices ?? [], info.value?.identity, () => i18n.global.t('detail.unenrolled')),
  )

  /** el-cascader props for the category tree: any level can be chosen, labels follow the language. */
  const categoryProps = computed(() => ({
    value: 'code',
    label: i18n.global.locale.value === 'en' ? 'en' : 'zh',
    children: 'children',
    checkStrictly: true,
    emitPath: false,
  }))

  /** Typing finds a category by its Chinese or English name at any level of its path. */
  function categoryFilter(node: { pathNodes: { data: { zh: string; en: string } }[] }, keyword: string) {
    const k = keyword.trim().toLowerCase()
    return node.pathNodes.some((n) => n.data.zh.includes(k) || n.data.en.toLowerCase().includes(k))
  }

  return {
    info,
    catalog,
    now,
    clockNow,
    syncClock,
    refresh,
    untilOpened,
    caseCount,
    categoryName,
    unitName,
    officeName,
    categoryProps,
    categoryFilter,
  }
})
