// Sync as the window sees it: the shell's sync task pushes its status ("sync-status") and
// says when pulled events changed the data ("data-changed"); views watch `dataVersion` to
// reload. The page itself never talks to the server.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { listen } from '@tauri-apps/api/event'
import { api } from '../api'
import type { SyncStatus } from '../bindings/SyncStatus'
import { useAppStore } from './app'

export type SyncState = 'standalone' | 'syncing' | 'offline' | 'error' | 'waiting' | 'synced'

export const useSyncStore = defineStore('sync', () => {
  const status = ref<SyncStatus | null>(null)
  const dataVersion = ref(0)
  let started = false

  async function start() {
    if (started) return
    started = true
    const app = useAppStore()
    await listen<SyncStatus>('sync-status', (e) => (status.value = e.payload))
    await listen('data-changed', async () => {
      dataVersion.value++
      await app.refresh()
    })
    status.value = await api.syncStatus()
  }

  const state = computed<SyncState>(() => {
    const s = status.value
    if (!s || !s.enrolled) return 'standalone'
    if (s.syncing) return 'syncing'
    if (s.error?.code === 'offline') return 'offline'
    if (s.error) return 'error'
    if (s.waiting > 0 || s.last_sync === null) return 'waiting'
    return 'synced'
  })

  return { status, dataVersion, state, start }
})
