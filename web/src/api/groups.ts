/** Customer groups (客户群), group codes (群活码) and group welcome templates (入群欢迎语). */
import { request, requestFile } from './http'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

/** WeCom stops joins by QR code once a group has this many members. */
export const GROUP_QR_LIMIT = 200

export type GroupStatus = 'active' | 'dismissed'

export interface GroupRow {
  id: number
  chat_id: string
  name: string
  owner_userid: string
  owner_name: string | null
  member_count: number
  customer_count: number
  limit: number
  status: GroupStatus
  wecom_status: number
  created_at: string | null
  dismissed_at: string | null
  read_at: string | null
  refreshing: boolean
  codes: string[]
}

/** One China day of a group. */
export interface GroupDayCount {
  day: string
  joins: number
  leaves: number
  /** Said in the group, from the chat archive. */
  messages: number
}

export interface GroupDetail extends GroupRow {
  notice: string
  admin_userids: string[]
  member_version: string
  days: GroupDayCount[]
}

export interface GroupQuery extends PageQuery {
  q?: string
  owner_userid?: string
  status?: GroupStatus
}

export interface GroupMember {
  id: number
  userid: string
  member_type: 'staff' | 'customer'
  name: string
  group_nickname: string
  customer_id: number | null
  joined_at: string
  join_scene: number
  invitor_userid: string
  state: string
  code_name: string | null
  left_at: string | null
  quit_scene: number | null
}

export interface GroupMemberQuery extends PageQuery {
  which?: 'current' | 'left'
  member_type?: 'staff' | 'customer'
}

export interface GroupSyncState {
  id: number | null
  state: 'never' | 'running' | 'done' | 'failed'
  phase: string
  listed: number
  read: number
  dismissed: number
  resumed: number
  error: string
  started_at: string | null
  finished_at: string | null
  groups_total: number
}

export interface ListedGroup {
  id: number
  chat_id: string
  name: string
  member_count: number
  limit: number
  full: boolean
  status: GroupStatus
}

export interface GroupCode {
  id: number
  name: string
  state: string
  config_id: string | null
  qr_code: string
  auto_create: boolean
  room_base_name: string
  room_base_id: number
  welcome_id: number | null
  welcome_name: string | null
  status: 'creating' | 'active' | 'failed' | 'deleted'
  alert: string
  alert_at: string | null
  swapped_at: string | null
  last_error: string
  groups: ListedGroup[]
  joins_total: number
  joins_today: number
  created_at: string
  updated_at: string
}

export interface GroupCodeInput {
  name: string
  group_ids: number[]
  auto_create: boolean
  room_base_name: string
  room_base_id: number
  welcome_id: number | null
  /** Only when creating: fixed afterwards (joins are counted by it). */
  state?: string | null
}

export type WelcomeAttachmentType = 'image' | 'link' | 'miniprogram'

export interface WelcomeAttachment {
  msgtype: WelcomeAttachmentType
  pic_url: string
  title: string
  url: string
  desc: string
  appid: string
  page: string
  pic_media_id: string
}

export interface GroupWelcome {
  id: number
  name: string
  template_id: string | null
  text: string
  attachment: WelcomeAttachment | null
  notify: boolean
  used_by: number
  created_at: string
  updated_at: string
}

export interface GroupWelcomeInput {
  name: string
  text: string
  attachment: WelcomeAttachment | null
  notify: boolean
}

// groups
export const listGroups = (query: GroupQuery = {}) =>
  request<Page<GroupRow>>('GET', `${V1}/groups`, { query: { ...query } })
export const getGroup = (id: number) => request<GroupDetail>('GET', `${V1}/groups/${id}`)
export const listGroupMembers = (id: number, query: GroupMemberQuery = {}) =>
  request<Page<GroupMember>>('GET', `${V1}/groups/${id}/members`, { query: { ...query } })
export const getGroupSync = () => request<GroupSyncState>('GET', `${V1}/groups-sync`)
/** Reads every group from WeCom in the background (a sync under way is reused). */
export const syncGroups = () => request<GroupSyncState>('POST', `${V1}/groups-sync`)

// group codes
export const listGroupCodes = (query: PageQuery = {}) =>
  request<Page<GroupCode>>('GET', `${V1}/group-codes`, { query: { ...query } })
export const getGroupCode = (id: number) => request<GroupCode>('GET', `${V1}/group-codes/${id}`)
export const createGroupCode = (body: GroupCodeInput) =>
  request<GroupCode>('POST', `${V1}/group-codes`, { body })
export const editGroupCode = (id: number, body: GroupCodeInput) =>
  request<GroupCode>('PUT', `${V1}/group-codes/${id}`, { body })
export const deleteGroupCode = (id: number) => request<void>('DELETE', `${V1}/group-codes/${id}`)
export const downloadGroupCodeQr = (id: number, format: 'png' | 'svg', size = 'print') =>
  requestFile('GET', `${V1}/group-codes/${id}/qr`, { query: { format, size } })
export const downloadGroupCodePoster = (id: number) => requestFile('GET', `${V1}/group-codes/${id}/poster`)

// group welcome templates
export const listGroupWelcomes = () => request<{ items: GroupWelcome[]; limit: number }>('GET', `${V1}/group-welcomes`)
export const createGroupWelcome = (body: GroupWelcomeInput) =>
  request<GroupWelcome>('POST', `${V1}/group-welcomes`, { body })
export const editGroupWelcome = (id: number, body: GroupWelcomeInput) =>
  request<GroupWelcome>('PUT', `${V1}/group-welcomes/${id}`, { body })
export const deleteGroupWelcome = (id: number) => request<void>('DELETE', `${V1}/group-welcomes/${id}`)
