import type { CustomerStatus, FollowStatus, TagSyncState } from '@/api'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** Colour of a customer's status tag. */
export function customerStatusType(status: CustomerStatus): TagType {
  return status === 'active' ? 'success' : status === 'lost' ? 'warning' : 'info'
}

/** Colour of a friendship's status tag. */
export function followStatusType(status: FollowStatus | string): TagType {
  switch (status) {
    case 'friend':
      return 'success'
    case 'deleted_by_customer':
      return 'danger'
    case 'deleted_by_staff':
      return 'warning'
    case 'transferred':
      return 'primary'
    default:
      return 'info'
  }
}

export function syncStateType(state: TagSyncState): TagType {
  return state === 'synced' ? 'success' : state === 'pending' ? 'warning' : 'danger'
}

/** WeCom add_way codes that have a label (see `addWay.w<code>` in the messages). */
export const KNOWN_ADD_WAYS = new Set([
  0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 24, 201, 202,
])

/** The message key and parameters naming an add_way code. */
export function addWayKey(code: number): [string, Record<string, unknown>] {
  return KNOWN_ADD_WAYS.has(code) ? [`addWay.w${code}`, {}] : ['addWay.other', { code }]
}
