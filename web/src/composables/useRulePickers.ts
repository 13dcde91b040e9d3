import { computed, inject, provide, shallowRef, type ComputedRef, type InjectionKey, type Ref } from 'vue'
import {
  getSegmentOptions,
  listGroups,
  listRegions,
  listStores,
  type GroupRow,
  type Region,
  type SegmentOptions,
  type StoreRow,
} from '@/api'
import { useAuthStore } from '@/stores/auth'
import { useStaffDirectory } from '@/stores/staffDirectory'
import { useTagsStore } from '@/stores/tags'
import type { RuleNames } from '@/utils/segments'

/** What the rule builder's value editors offer, loaded once per page. */
export interface RulePickers {
  options: Ref<SegmentOptions>
  stores: Ref<StoreRow[]>
  regions: Ref<Region[]>
  groups: Ref<GroupRow[]>
  names: ComputedRef<RuleNames>
  load: () => Promise<void>
}

const KEY: InjectionKey<RulePickers> = Symbol('rulePickers')

/** Load the pickers' choices; each that the member may not read just offers nothing. */
export function createRulePickers(): RulePickers {
  const auth = useAuthStore()
  const tags = useTagsStore()
  const directory = useStaffDirectory()
  const options = shallowRef<SegmentOptions>({ city: [], level: [], channel: [] })
  const stores = shallowRef<StoreRow[]>([])
  const regions = shallowRef<Region[]>([])
  const groups = shallowRef<GroupRow[]>([])

  const names = computed<RuleNames>(() => {
    const storeNames = new Map(stores.value.map((s) => [s.id, s.name]))
    const regionNames = new Map(regions.value.map((r) => [r.id, r.name]))
    const groupNames = new Map(groups.value.map((g) => [g.id, g.name]))
    return {
      tag: (id) => tags.tagName(id),
      store: (id) => storeNames.get(id) ?? `#${id}`,
      region: (id) => regionNames.get(id) ?? `#${id}`,
      group: (id) => groupNames.get(id) ?? `#${id}`,
      staff: (userid) => directory.nameOf(userid),
    }
  })

  async function load(): Promise<void> {
    const quiet = <T>(call: Promise<T>) => call.catch(() => null)
    const [opts, storePage, regionList, groupPage] = await Promise.all([
      quiet(getSegmentOptions()),
      auth.can('stores:read') ? quiet(listStores({ page_size: 200 })) : null,
      auth.can('stores:read') ? quiet(listRegions()) : null,
      auth.can('groups:read') ? quiet(listGroups({ page_size: 200, status: 'active' })) : null,
      quiet(tags.load()),
      directory.load(),
    ])
    if (opts) options.value = opts
    if (storePage) stores.value = storePage.items
    if (regionList) regions.value = regionList.items
    if (groupPage) groups.value = groupPage.items
  }

  const pickers = { options, stores, regions, groups, names, load }
  provide(KEY, pickers)
  return pickers
}

export function useRulePickers(): RulePickers {
  const pickers = inject(KEY)
  if (!pickers) throw new Error('createRulePickers() was not called by the page')
  return pickers
}

/** Problems the API reported, by the row or group they are about. */
export const RULE_ERRORS: InjectionKey<Ref<Map<number, string>>> = Symbol('ruleErrors')
