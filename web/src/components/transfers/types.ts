import type { TransferKind } from '@/api'

/** Customers chosen before the transfer dialog opens (e.g. unassigned customers of a departed account). */
export interface TransferPreset {
  kind: TransferKind
  handover: string
  handoverName?: string | null
  customers: { id: number; name: string }[]
}
