// The app's real catalogues in a fresh i18n instance, for tests (the app's own reads localStorage).
import { createI18n, type Composer } from 'vue-i18n'
import zhCN from '../i18n/zh-CN'
import zhTW from '../i18n/zh-TW'
import en from '../i18n/en'

export function translator(locale: 'zh-CN' | 'zh-TW' | 'en' = 'zh-CN') {
  const i18n = createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: { 'zh-CN': zhCN, 'zh-TW': zhTW, en },
  })
  // Typed as the views see it (useI18n's Composer), not by this catalogue's literal keys.
  const global = i18n.global as unknown as Composer
  return { t: global.t, te: global.te }
}
