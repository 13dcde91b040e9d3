import { computed, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import { listStaff, type Staff } from '@/api'
import { useAuthStore } from '@/stores/auth'

/**
 * The tenant's WeCom staff accounts, for choosing an owner and naming the userids that
 * customer events carry. Loaded once per session; empty without `staff:read`.
 */
export const useStaffDirectory = defineStore('staffDirectory', () => {
  const auth = useAuthStore()
  const staff = shallowRef<Staff[]>([])
  let loaded: Promise<void> | null = null
  /** Whose directory is held: another sign-in (another tenant) loads its own. */
  let holder = ''

  const byUserid = computed(() => new Map(staff.value.map((s) => [s.userid, s])))

  function load(force = false): Promise<void> {
    const current = auth.me ? `${auth.me.tenant.id}:${auth.me.id}` : ''
    if (loaded && !force && holder === current) return loaded
    holder = current
    if (!auth.can('staff:read')) {
      staff.value = []
      return Promise.resolve()
    }
    loaded = listStaff({ page_size: 200 })
      .then((page) => {
        staff.value = page.items
      })
      .catch(() => {
        // Names are a nicety here: without them userids are shown. Try again next time.
        loaded = null
      })
    return loaded
  }

  /** The staff member's name, or the userid itself when unknown. */
  function nameOf(userid: string | null | undefined): string {
    if (!userid) return ''
    return byUserid.value.get(userid)?.name ?? userid
  }

  return { staff, byUserid, load, nameOf }
})
