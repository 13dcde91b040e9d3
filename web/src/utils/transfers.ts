import type { TransferItemStatus, TransferState } from '@/api'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** Colour of a customer's state within a transfer. */
export function itemStatusType(status: TransferItemStatus): TagType {
  switch (status) {
    case 'accepted':
      return 'success'
    case 'waiting':
      return 'warning'
    case 'refused':
    case 'failed':
      return 'danger'
    case 'sending':
      return 'primary'
    default:
      return 'info'
  }
}

/** Colour of a transfer's state. */
export function transferStateType(state: TransferState): TagType {
  return state === 'done' ? 'success' : state === 'waiting' ? 'warning' : 'primary'
}
