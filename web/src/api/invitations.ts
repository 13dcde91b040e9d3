/** Group invitations (拉群邀请): a 1:1 broadcast inviting a segment or tags into the groups of a
 * group code (its QR attached), and who of them joined. */
import { request, requestFile } from './http'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

export type InvitationAudience =
  | { kind: 'segment'; segment_id: number }
  | { kind: 'tags'; tag_ids: number[]; match: 'any' | 'all' }

export interface InvitationInput {
  name: string
  audience: InvitationAudience
  code_id: number
  text: string
  /** ISO time with zone; null sends now. */
  send_at: string | null
}

export interface InvitationNumbers {
  invited: number
  delivered: number
  joined: number
  /** joined / delivered, in percent. */
  conversion: number
}

export interface Invitation {
  id: number
  name: string
  audience: InvitationAudience
  text: string
  code_id: number
  code_name: string
  code_status: string
  broadcast_id: number | null
  broadcast_state: string
  send_at: string | null
  material_id: number | null
  numbers: InvitationNumbers
  created_at: string
}

export interface InvitationGroupJoins {
  group_id: number
  name: string
  joined: number
}

export interface InvitationJoin {
  customer_id: number
  name: string
  sender: string
  group_id: number
  group_name: string
  joined_at: string
  state: string
}

export interface InvitationResults {
  invitation: Invitation
  groups: InvitationGroupJoins[]
  joined: InvitationJoin[]
}

export const listInvitations = (query: PageQuery & { q?: string } = {}) =>
  request<Page<Invitation>>('GET', `${V1}/invitations`, { query: { ...query } })
export const getInvitation = (id: number) => request<Invitation>('GET', `${V1}/invitations/${id}`)
export const createInvitation = (body: InvitationInput) =>
  request<Invitation>('POST', `${V1}/invitations`, { body })
export const getInvitationResults = (id: number) =>
  request<InvitationResults>('GET', `${V1}/invitations/${id}/results`)
export const exportInvitationResults = (id: number) =>
  requestFile('GET', `${V1}/invitations/${id}/results.xlsx`)
