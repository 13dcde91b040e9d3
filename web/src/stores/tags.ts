import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import { getTagLibrary, type Tag, type TagGroup, type TagLibrary } from '@/api'
import { useAuthStore } from '@/stores/auth'

/** A tag with the group it belongs to. */
export interface TagEntry extends Tag {
  group: TagGroup
}

/**
 * The tenant's tag library, shared by the pages that pick or show tags (customer filters, the
 * tag picker, timeline lines naming tag ids). Every write to the library answers with the whole
 * library: hand it to `set` so every page sees the change.
 */
export const useTagsStore = defineStore('tags', () => {
  const auth = useAuthStore()
  const library = shallowRef<TagLibrary | null>(null)
  const loading = ref(false)
  /** Whose library is held: another sign-in (another tenant) loads its own. */
  let holder = ''
  let pending: Promise<TagLibrary> | null = null

  const currentHolder = () => (auth.me ? `${auth.me.tenant.id}:${auth.me.id}` : '')

  const groups = computed<TagGroup[]>(() => library.value?.groups ?? [])
  const byId = computed(() => {
    const map = new Map<number, TagEntry>()
    for (const group of groups.value) for (const tag of group.tags) map.set(tag.id, { ...tag, group })
    return map
  })

  function set(next: TagLibrary): void {
    library.value = next
    holder = currentHolder()
  }

  /** Load the library once (or again with `force`); concurrent callers share one request. */
  async function load(force = false): Promise<TagLibrary> {
    if (library.value && !force && holder === currentHolder()) return library.value
    if (pending) return pending
    loading.value = true
    pending = getTagLibrary()
    try {
      const result = await pending
      set(result)
      return result
    } finally {
      pending = null
      loading.value = false
    }
  }

  function tagName(id: number): string {
    return byId.value.get(id)?.name ?? `#${id}`
  }

  return { library, loading, groups, byId, set, load, tagName }
})
