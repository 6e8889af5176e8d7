import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../api'
import type { AppInfo } from '../bindings/AppInfo'
import type { Catalog } from '../bindings/Catalog'
import { i18n } from '../i18n'
import { categoryPaths } from '../format'

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const catalog = ref<Catalog | null>(null)
  // The store's clock (the PC's, corrected by the server's) minus the page's: "time left"
  // labels follow the clock deadlines are judged by, not the page's own.
  let clockOffset = 0
  // Ticks once a minute so "time left" labels stay true while the window is open.
  const now = ref(Date.now())
  setInterval(() => (now.value = Date.now() + clockOffset), 60_000)
  /** Learn the store's clock from a reading of it (`storeNow`, ms). */
  function syncClock(storeNow: number) {
    clockOffset = storeNow - Date.now()
    now.value = storeNow
  }

  async function refresh() {
    const [i, c] = await Promise.all([api.appInfo(), api.catalog()])
    info.value = i
    catalog.value = c
  }

  const categoryName = computed(() => {
    const paths = categoryPaths(catalog.value?.categories ?? [], i18n.global.locale.value)
    return (code: string) => paths.get(code) ?? code
  })
  const unitName = computed(() => {
    const m = new Map((catalog.value?.units ?? []).map((u) => [u.code, u.name]))
    return (code: string | null) => (code ? (m.get(code) ?? code) : '—')
  })

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

  return { info, catalog, now, syncClock, refresh, categoryName, unitName, categoryProps, categoryFilter }
})
