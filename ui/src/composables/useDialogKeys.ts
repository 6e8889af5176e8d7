// A form dialog from the keyboard: the first field a person types into has the focus when the
// dialog opens, Enter confirms (Shift+Enter is a new line in a text area; in a picker Enter
// chooses an option, so there Ctrl+Enter confirms), Esc cancels (the dialog's own). Every
// dialog that asks for something and confirms it uses this, so they all answer the same keys.
import { useTemplateRef } from 'vue'

const typed =
  'input:not([type=radio]):not([type=checkbox]):not([type=hidden]):not([type=file]):not([readonly]):not([disabled]), textarea:not([disabled])'

/** The dialog's fields sit in an element with `ref="dialogForm"`. */
export function useDialogKeys(confirm: () => unknown) {
  const formEl = useTemplateRef<HTMLElement>('dialogForm')

  // A held or repeated Enter confirms once: the next waits until the first has answered.
  let confirming = false
  async function once() {
    if (confirming) return
    confirming = true
    try {
      await confirm()
    } finally {
      confirming = false
    }
  }

  function onKey(e: KeyboardEvent) {
    if (e.key !== 'Enter' || e.isComposing) return
    const picker = (e.target as HTMLElement).closest('.el-select, .el-date-editor, .el-cascader')
    if (e.ctrlKey || e.metaKey || (!picker && !e.shiftKey)) {
      e.preventDefault()
      void once()
    }
  }

  function focusFirst() {
    formEl.value?.querySelector<HTMLElement>(typed)?.focus()
  }

  return { onKey, focusFirst }
}
