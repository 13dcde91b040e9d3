import { computed } from 'vue'
import { createI18n } from 'vue-i18n'
import epEn from 'element-plus/es/locale/lang/en'
import epZhCn from 'element-plus/es/locale/lang/zh-cn'
import zhCN from '@/locales/zh-CN'
import en from '@/locales/en'
import type { Locale } from '@/api/types'

export const LOCALES: readonly Locale[] = ['zh-CN', 'en']
export const DEFAULT_LOCALE: Locale = 'zh-CN'
const STORAGE_KEY = 'siyu.locale'

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

function storedLocale(): Locale {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return isLocale(value) ? value : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

export const i18n = createI18n<[typeof zhCN], Locale, false>({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages: { 'zh-CN': zhCN, en },
})

/** The current console language (reactive). */
export const currentLocale = computed<Locale>(() => i18n.global.locale.value as Locale)

/** Element Plus's own strings (pagination, dialogs, date pickers) follow the console language. */
export const elementLocale = computed(() => (currentLocale.value === 'en' ? epEn : epZhCn))

/** Switch the console language and remember it in this browser (used before login). */
export function applyLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // storage unavailable (private mode): the choice just isn't remembered
  }
}

document.documentElement.lang = i18n.global.locale.value
