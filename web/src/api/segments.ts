/** Segments (人群): rules that select customers, counted live from the audience index. */
import { request, requestFile } from './http'
import type { CustomerRow, Page, PageQuery } from './types'

const V1 = '/api/v1'

export type SegmentField =
  | 'tags'
  | 'city'
  | 'level'
  | 'channel'
  | 'owner'
  | 'gender'
  | 'store'
  | 'region'
  | 'added_at'
  | 'birthday'
  | 'chat_last'
  | 'chat_count'
  | 'follow'
  | 'group'

/** A condition of a rule: the value's shape depends on the field and the operator. */
export interface SegmentCondition {
  field: SegmentField
  op: string
  value?: unknown
}

/** `{and: [...]}`, `{or: [...]}`, `{not: rule}` or a condition. */
export type SegmentRule =
  | { and: SegmentRule[] }
  | { or: SegmentRule[] }
  | { not: SegmentRule }
  | SegmentCondition

export interface SegmentCount {
  count: number
  /** Customers the rule chooses from (not erased). */
  universe: number
  took_ms: number
  engine: 'index' | 'sql'
}

export interface SegmentPreview extends SegmentCount {
  /** The first 20 members. */
  members: CustomerRow[]
}

export interface Segment {
  id: number
  name: string
  description: string
  rule: SegmentRule
  /** Members now (in the list: the count when last asked; null when the rule no longer reads). */
  count: number | null
  counted_at: string | null
  created_at: string
  updated_at: string
}

export interface SegmentInput {
  name: string
  description: string
  rule: SegmentRule
}

export interface SegmentOption {
  value: string
  count: number
}

export interface SegmentOptions {
  city: SegmentOption[]
  level: SegmentOption[]
  channel: SegmentOption[]
}

export interface SegmentIndexStatus {
  held: boolean
  customers: number
  bitmaps: number
  memory_bytes: number
  built_at: string | null
  build_seconds: number | null
  changes_applied: number
}

/** Where a rule is wrong (422 `segment_bad_rule`): `path` names the clause, e.g. `and[1].value`. */
export interface SegmentRuleErrorDetail {
  path: string
  reason: string
}

export const countSegmentRule = (rule: SegmentRule, engine: 'index' | 'sql' = 'index') =>
  request<SegmentCount>('POST', `${V1}/segments/count`, { body: { rule }, query: { engine } })
export const previewSegmentRule = (rule: SegmentRule) =>
  request<SegmentPreview>('POST', `${V1}/segments/preview`, { body: { rule } })
export const listSegments = () => request<Segment[]>('GET', `${V1}/segments`)
export const getSegment = (id: number) => request<Segment>('GET', `${V1}/segments/${id}`)
export const createSegment = (body: SegmentInput) => request<Segment>('POST', `${V1}/segments`, { body })
export const updateSegment = (id: number, body: Partial<SegmentInput>) =>
  request<Segment>('PATCH', `${V1}/segments/${id}`, { body })
export const deleteSegment = (id: number) => request<void>('DELETE', `${V1}/segments/${id}`)
export const listSegmentMembers = (id: number, query: PageQuery = {}) =>
  request<Page<CustomerRow>>('GET', `${V1}/segments/${id}/members`, { query: { ...query } })
export const exportSegmentMembers = (id: number) => requestFile('GET', `${V1}/segments/${id}/members.xlsx`)
export const getSegmentOptions = () => request<SegmentOptions>('GET', `${V1}/segment-options`)
export const getSegmentIndex = () => request<SegmentIndexStatus>('GET', `${V1}/segment-index`)
export const rebuildSegmentIndex = () => request<SegmentIndexStatus>('POST', `${V1}/segment-index/rebuild`)
