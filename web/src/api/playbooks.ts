/** Group playbooks (群日历): posts to customer groups at set times, each slot a group broadcast. */
import { request } from './http'
import type { Broadcast } from './broadcasts'

const V1 = '/api/v1'

export interface PlaybookPost {
  id?: number
  /** China time, HH:MM. */
  at: string
  /** 1 Monday … 7 Sunday; empty: every day. */
  weekdays: number[]
  title: string
  text: string
  material_ids: number[]
}

export interface PlaybookAudience {
  kind: 'groups'
  group_ids: number[]
  owner_userids: string[]
}

export interface PlaybookInput {
  name: string
  audience: PlaybookAudience
  enabled: boolean
  skip_dates: string[]
  posts: PlaybookPost[]
}

export interface Playbook extends PlaybookInput {
  id: number
  posts: (PlaybookPost & { id: number })[]
  groups: number
  next_sends: { post_id: number; at: string }[]
  created_at: string
  updated_at: string
}

export const listPlaybooks = () => request<Playbook[]>('GET', `${V1}/playbooks`)
export const createPlaybook = (body: PlaybookInput) => request<Playbook>('POST', `${V1}/playbooks`, { body })
export const updatePlaybook = (id: number, body: PlaybookInput) =>
  request<Playbook>('PUT', `${V1}/playbooks/${id}`, { body })
export const deletePlaybook = (id: number) => request<void>('DELETE', `${V1}/playbooks/${id}`)
export const listPlaybookSends = (id: number) =>
  request<{ items: Broadcast[]; total: number }>('GET', `${V1}/playbooks/${id}/sends`)
