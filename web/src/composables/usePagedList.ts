import { ref, shallowRef } from 'vue'
import type { Page, PageQuery } from '@/api'
import { errorMessage } from '@/utils/errors'

export const PAGE_SIZES = [20, 50, 100]

/** Paging state for a list endpoint; bind `page` / `pageSize` / `total` to ElPagination. */
export function usePagedList<T>(fetchPage: (query: Required<PageQuery>) => Promise<Page<T>>) {
  const items = shallowRef<T[]>([])
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(PAGE_SIZES[0])
  const loading = ref(false)
  const error = ref('')
  let latest = 0

  async function load(): Promise<void> {
    const call = ++latest
    loading.value = true
    error.value = ''
    try {
      const result = await fetchPage({ page: page.value, page_size: pageSize.value })
      if (call !== latest) return
      items.value = result.items
      total.value = result.total
    } catch (err) {
      if (call === latest) error.value = errorMessage(err)
    } finally {
      if (call === latest) loading.value = false
    }
  }

  /** Back to the first page (after a filter change) and load. */
  function reload(): Promise<void> {
    page.value = 1
    return load()
  }

  return { items, total, page, pageSize, loading, error, load, reload }
}
