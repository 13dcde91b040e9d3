/** Behaviour rules (行为标签): a segment rule and the tags it gives the customers it selects. */
import { request } from './http'
import type { SegmentRule } from './segments'
import type { CustomerRow, Page, PageQuery } from './types'

const V1 = '/api/v1'

export interface BehaviourRule {
  id: number
  name: string
  description: string
  rule: SegmentRule
  /** The tags the rule gives (1–20). */
  tag_ids: number[]
  /** Take the rule's tags off the customers it tagged once they stop matching. */
  untag: boolean
  enabled: boolean
  /** Customers the rule selected at its last full run. */
  members: number
  /** Customers holding the tags because of the rule. */
  tagged_now: number
  last_run_at: string | null
  last_tagged: number
  last_untagged: number
  /** Why the last run failed; empty when it did not. */
  last_error: string
  /** A full run is waiting or under way. */
  running: boolean
  created_at: string
  updated_at: string
}

export interface BehaviourRuleInput {
  name: string
  description: string
  rule: SegmentRule
  tag_ids: number[]
  untag: boolean
  enabled: boolean
}

export const listBehaviourRules = () => request<BehaviourRule[]>('GET', `${V1}/behaviour-rules`)
export const getBehaviourRule = (id: number) => request<BehaviourRule>('GET', `${V1}/behaviour-rules/${id}`)
export const createBehaviourRule = (body: BehaviourRuleInput) =>
  request<BehaviourRule>('POST', `${V1}/behaviour-rules`, { body })
export const updateBehaviourRule = (id: number, body: Partial<BehaviourRuleInput>) =>
  request<BehaviourRule>('PATCH', `${V1}/behaviour-rules/${id}`, { body })
export const deleteBehaviourRule = (id: number) => request<void>('DELETE', `${V1}/behaviour-rules/${id}`)
export const runBehaviourRule = (id: number) => request<BehaviourRule>('POST', `${V1}/behaviour-rules/${id}/run`)
export const listBehaviourRuleMembers = (id: number, query: PageQuery = {}) =>
  request<Page<CustomerRow>>('GET', `${V1}/behaviour-rules/${id}/members`, { query: { ...query } })
