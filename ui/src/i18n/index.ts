import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import zhTW from './zh-TW'
import en from './en'

export type Locale = 'zh-CN' | 'zh-TW' | 'en'
const saved = localStorage.getItem('jiesu.locale')

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' || saved === 'zh-TW' ? saved : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, 'zh-TW': zhTW, en },
})

export function setLocale(l: Locale) {
  i18n.global.locale.value = l
  localStorage.setItem('jiesu.locale', l)
  document.documentElement.lang = l
}
