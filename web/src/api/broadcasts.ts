/** Broadcasts (群发): one message to many customers or groups, sent as WeCom tasks staff confirm. */
import { request, requestFile } from './http'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

export type BroadcastAudience =
  | { kind: 'segment'; segment_id: number }
  | { kind: 'tags'; tag_ids: number[]; match: 'any' | 'all' }
  | { kind: 'staff'; userids: string[] }
  | { kind: 'stores'; store_ids: number[] }
  | { kind: 'customers'; customer_ids: number[] }
  | { kind: 'groups'; group_ids: number[]; owner_userids: string[] }

export interface BroadcastRepeat {
  every: 'day' | 'week'
  weekdays: number[]
  until: string
}

export interface BroadcastInput {
  name: string
  chat_type: 'single' | 'group'
  audience: BroadcastAudience
  text: string
  material_ids: number[]
  /** ISO time with zone; null sends now. */
  send_at: string | null
  repeat: BroadcastRepeat | null
}

export type BroadcastState = 'scheduled' | 'planning' | 'sending' | 'sent' | 'done' | 'cancelled' | 'failed'

export interface Broadcast {
  id: number
  name: string
  chat_type: 'single' | 'group'
  audience: BroadcastAudience
  text: string
  material_ids: number[]
  state: BroadcastState
  send_at: string
  due_at: string
  moved_by_quiet_hours: boolean
  repeat: BroadcastRepeat | null
  parent_id: number | null
  source: string
  /** Recipients by outcome, and `total`. */
  counts: Record<string, number>
  error: string
  created_at: string
  planned_at: string | null
  sent_at: string | null
  finished_at: string | null
  synced_at: string | null
}

export interface BroadcastTask {
  id: number
  sender: string
  sender_name: string
  chunk: number
  recipients: number
  state: string
  msgid: string | null
  confirmed: boolean
  confirmed_at: string | null
  reminders: number
  error: string
}

export interface BroadcastSender {
  sender: string
  sender_name: string
  tasks: number
  recipients: number
  confirmed: boolean
  counts: Record<string, number>
}

export interface BroadcastResults {
  broadcast: Broadcast
  counts: Record<string, number>
  senders: BroadcastSender[]
  tasks: BroadcastTask[]
}

export interface BroadcastRecipient {
  customer_id: number | null
  group_id: number | null
  name: string
  sender: string
  status: string
  sent_at: string | null
}

export interface AudienceCount {
  count: number
  senders: number | null
}

export interface ReachSettings {
  quiet_start: string
  quiet_end: string
  cap_count: number
  cap_days: number
  wecom_policy: 'month' | 'week7' | 'day1'
}

export interface BroadcastQuery extends PageQuery {
  state?: string
  chat_type?: 'single' | 'group'
  q?: string
}

export const listBroadcasts = (query: BroadcastQuery = {}) =>
  request<Page<Broadcast>>('GET', `${V1}/broadcasts`, { query: { ...query } })
export const getBroadcast = (id: number) => request<Broadcast>('GET', `${V1}/broadcasts/${id}`)
export const createBroadcast = (body: BroadcastInput) => request<Broadcast>('POST', `${V1}/broadcasts`, { body })
export const updateBroadcast = (id: number, body: BroadcastInput) =>
  request<Broadcast>('PUT', `${V1}/broadcasts/${id}`, { body })
export const cancelBroadcast = (id: number) => request<Broadcast>('POST', `${V1}/broadcasts/${id}/cancel`)
export const remindBroadcast = (id: number) => request<{ job_id: number }>('POST', `${V1}/broadcasts/${id}/remind`)
export const syncBroadcast = (id: number) => request<{ job_id: number }>('POST', `${V1}/broadcasts/${id}/sync`)
export const getBroadcastResults = (id: number) => request<BroadcastResults>('GET', `${V1}/broadcasts/${id}/results`)
export const listBroadcastRecipients = (id: number, query: PageQuery & { status?: string; sender?: string } = {}) =>
  request<Page<BroadcastRecipient>>('GET', `${V1}/broadcasts/${id}/recipients`, { query: { ...query } })
export const exportBroadcastResults = (id: number) => requestFile('GET', `${V1}/broadcasts/${id}/results.xlsx`)
export const countBroadcastAudience = (chat_type: 'single' | 'group', audience: BroadcastAudience) =>
  request<AudienceCount>('POST', `${V1}/broadcasts/audience/count`, { body: { chat_type, audience } })
export const getReachSettings = () => request<ReachSettings>('GET', `${V1}/reach-settings`)
export const saveReachSettings = (body: ReachSettings) => request<ReachSettings>('PUT', `${V1}/reach-settings`, { body })
