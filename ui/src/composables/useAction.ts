// One way to run what the user started: `busy` while it runs (buttons show it and refuse a
// second press), a refusal shown once as a message in the user's language, and a success
// message when the caller names one. The call's result is returned, `undefined` when refused,
// so the caller goes on only after a success. Two kinds of call keep their own handling: a
// page's first load, whose failure is shown in the page instead of its content, and a list
// reloaded as the user types, where only the newest of overlapping loads may end the spinner
// (CasesView, DashboardView).
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { notify } from '../notice'

export function useAction() {
  const { t, te } = useI18n()
  const busy = ref(false)

  async function run<T>(call: () => Promise<T>, done?: string | ((result: T) => string)): Promise<T | undefined> {
    busy.value = true
    try {
      const result = await call()
      if (done) notify.success(typeof done === 'string' ? done : done(result))
      return result
    } catch (e) {
      notify.failed(t, te, e)
      return undefined
    } finally {
      busy.value = false
    }
  }

  return { busy, run }
}
