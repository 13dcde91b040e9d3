import { computed, ref } from 'vue'
import { defineStore } from 'pinia'
import * as api from '@/api'
import type { Locale, Me } from '@/api'
import { applyLocale } from '@/i18n'

export const useAuthStore = defineStore('auth', () => {
  const me = ref<Me | null>(null)
  /** Whether the session has been checked against `/auth/me` since the page loaded. */
  const checked = ref(false)

  const isAuthenticated = computed(() => me.value !== null)

  function setMe(user: Me, csrfToken?: string): void {
    me.value = user
    checked.value = true
    api.setCsrfToken(csrfToken ?? user.csrf_token)
    applyLocale(user.locale)
  }

  function reset(): void {
    me.value = null
    checked.value = true
    api.setCsrfToken(null)
  }

  /** Load the current user once; resolves to whether someone is logged in. */
  async function ensureSession(): Promise<boolean> {
    if (checked.value) return isAuthenticated.value
    try {
      setMe(await api.getMe())
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 401) reset()
      else me.value = null // server unreachable: let the login page show it, check again next time
    }
    return isAuthenticated.value
  }

  async function login(username: string, password: string): Promise<void> {
    const result = await api.login({ username, password })
    setMe(result.user, result.csrf_token)
  }

  async function logout(): Promise<void> {
    try {
      await api.logout()
    } finally {
      reset()
    }
  }

  /** Change the language; remembered on the account when logged in, in the browser otherwise. */
  async function changeLocale(locale: Locale): Promise<void> {
    if (!me.value) {
      applyLocale(locale)
      return
    }
    // Saved first, then shown: pages that reload on the switch get labels the server
    // localises in the new language, not the old one.
    try {
      const updated = await api.updateMe({ locale })
      me.value = { ...updated, csrf_token: updated.csrf_token || me.value.csrf_token }
      if (updated.csrf_token) api.setCsrfToken(updated.csrf_token)
    } finally {
      applyLocale(locale)
    }
  }

  function can(permission: string): boolean {
    return me.value?.permissions.includes(permission) ?? false
  }

  return { me, checked, isAuthenticated, ensureSession, login, logout, reset, changeLocale, can }
})
