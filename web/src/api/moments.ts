/** Moments (朋友圈): planned posts, the calendar with its ad rule, posting hours and results. */
import { request, requestFile } from './http'

const V1 = '/api/v1'

export type MomentKind = 'light' | 'knowledge' | 'feedback' | 'ad'
export const MOMENT_KINDS: MomentKind[] = ['light', 'knowledge', 'feedback', 'ad']
export type MomentState = 'draft' | 'scheduled' | 'creating' | 'created' | 'failed' | 'cancelled'

export interface MomentSenders {
  /** Every staff account with customer contact. */
  all: boolean
  userids: string[]
  /** WeCom department ids. */
  department_ids: number[]
}

export interface MomentPostInput {
  kind: MomentKind
  text: string
  material_ids: number[]
  senders: MomentSenders
  /** Visible only to customers with one of these tags (none: everyone). */
  tag_ids: number[]
  planned_at: string | null
  /** Create the WeCom task at once. */
  now: boolean
  /** Save without scheduling. */
  draft: boolean
}

export interface MomentCounts {
  targets: number
  published: number
  pending: number
  invalid: number
}

export interface MomentResultRow {
  userid: string
  name: string
  status: 'published' | 'pending' | 'invalid'
  published_at: string | null
  /** Likes and comments on this account's copy, as last read from WeCom. */
  likes: number
  comments: number
}

export interface MomentPost {
  id: number
  kind: MomentKind
  text: string
  material_ids: number[]
  senders: MomentSenders
  tag_ids: number[]
  planned_at: string | null
  state: MomentState
  error: string
  jobid: string | null
  moment_id: string | null
  created_in_wecom_at: string | null
  results_synced_at: string | null
  counts: MomentCounts
  created_at: string
  updated_at: string
  materials: MomentMaterial[]
  results: MomentResultRow[]
}

export interface CalendarPost {
  id: number
  kind: MomentKind
  state: MomentState
  planned_at: string
  /** HH:MM China time. */
  time: string
  text: string
  published: number
  targets: number
}

export interface MomentWarning {
  code: 'ad_share' | 'ad_streak'
  day: string
  ads: number
  /** ad_share: posts in the window; ad_streak: days in a row. */
  posts: number
  window_from: string
}

export interface CalendarDay {
  day: string
  posts: CalendarPost[]
  kinds: Partial<Record<MomentKind, number>>
  warnings: MomentWarning[]
}

export interface MomentSettings {
  /** HH:MM China time. */
  slots: string[]
  ad_share_percent: number
  ad_window_days: number
  /** 0: no streak warning. */
  ad_days_in_a_row: number
}

export interface MomentCalendar {
  days: CalendarDay[]
  warnings: MomentWarning[]
  settings: MomentSettings
}

export interface MomentSlot {
  at: string
  /** YYYY-MM-DD HH:MM China time. */
  local: string
}

export interface MomentOption {
  id: string
  label: string
}

export interface MomentOptions {
  staff: MomentOption[]
  departments: MomentOption[]
  tags: MomentOption[]
}

export const getMomentCalendar = (from: string, to: string) =>
  request<MomentCalendar>('GET', `${V1}/moments/calendar`, { query: { from, to } })
export const getMomentPost = (id: number) => request<MomentPost>('GET', `${V1}/moments/posts/${id}`)
export const createMomentPost = (body: MomentPostInput) =>
  request<MomentPost>('POST', `${V1}/moments/posts`, { body })
export const updateMomentPost = (id: number, body: MomentPostInput) =>
  request<MomentPost>('PUT', `${V1}/moments/posts/${id}`, { body })
export const cancelMomentPost = (id: number) => request<MomentPost>('POST', `${V1}/moments/posts/${id}/cancel`)
/** Reads the post's results from WeCom again in the background. */
export const syncMomentPost = (id: number) => request<MomentPost>('POST', `${V1}/moments/posts/${id}/sync`)
export const exportMomentResults = (id: number) => requestFile('GET', `${V1}/moments/posts/${id}/results.xlsx`)
export const getMomentSettings = () => request<MomentSettings>('GET', `${V1}/moments/settings`)
export const saveMomentSettings = (body: MomentSettings) =>
  request<MomentSettings>('PUT', `${V1}/moments/settings`, { body })
export const getMomentSlots = (count = 5) => request<MomentSlot[]>('GET', `${V1}/moments/slots`, { query: { count } })
export const getMomentOptions = () => request<MomentOptions>('GET', `${V1}/moments/options`)

/** A material as a post lists its attachments. */
export interface MomentMaterial {
  id: number
  kind: string
  title: string
  preview_url: string | null
}

