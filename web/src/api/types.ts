export type Locale = 'zh-CN' | 'en'
export type Role = 'owner' | 'admin' | 'operator' | 'shop_manager' | 'staff'

export const ROLES: readonly Role[] = ['owner', 'admin', 'operator', 'shop_manager', 'staff']

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface PageQuery {
  page?: number
  page_size?: number
}

export interface Tenant {
  id: number
  name: string
}

export interface Me {
  id: number
  username: string
  display_name: string
  role: Role
  locale: Locale
  tenant: Tenant
  permissions: string[]
  csrf_token: string
}

export interface LoginRequest {
  username: string
  password: string
}

export interface LoginResponse {
  user: Me
  csrf_token: string
}

export interface UpdateMeRequest {
  locale?: Locale
}

export interface DashboardCard {
  key: string
  label: string
  value: number
}

export interface ActivitySeries {
  label: string
  days: string[]
  values: number[]
}

export interface Dashboard {
  cards: DashboardCard[]
  activity: ActivitySeries
}

export interface AuditActor {
  id: number
  display_name: string
}

export interface AuditLog {
  id: number
  created_at: string
  actor: AuditActor | null
  action: string
  entity_type: string
  entity_id: string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  ip: string | null
}

export interface AuditLogQuery extends PageQuery {
  action?: string
}

export interface User {
  id: number
  username: string
  display_name: string
  role: Role
  is_active: boolean
  locale: Locale
  created_at: string
  last_login_at: string | null
}

export interface CreateUserRequest {
  username: string
  display_name: string
  password: string
  role: Role
}

export interface UpdateUserRequest {
  display_name?: string
  role?: Role
  is_active?: boolean
}

export interface ApiToken {
  id: number
  name: string
  prefix: string
  scopes: string[]
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface TokenScope {
  key: string
  label: string
}

export interface TokenScopes {
  scopes: TokenScope[]
}

export interface CreateApiTokenRequest {
  name: string
  scopes: string[]
}

export interface CreateApiTokenResponse {
  /** The plain token; the server never shows it again. */
  token: string
  api_token: ApiToken
}

/** Where WeCom must send callbacks, and whether it has been heard from yet. */
export interface WeComCallback {
  url: string
  token: string
  encoding_aes_key: string
  verified_at: string | null
  first_event_at: string | null
  last_event_at: string | null
  events_received: number
}

export type WeComCheckStepKey = 'contact_token' | 'follow_users' | 'app_token'

export interface WeComCheckStep {
  key: WeComCheckStepKey
  ok: boolean
  /** Localised by the server: what went wrong and what to do about it. */
  message: string
  errcode: number | null
}

export interface WeComCheckReport {
  ok: boolean
  tested_at: string
  steps: WeComCheckStep[]
}

export interface WeComConnection {
  corp_id: string
  /** Masked, e.g. `••••••••abcd`. */
  contact_secret: string
  agent_id: number | null
  /** Masked; null when no self-built app is configured. */
  app_secret: string | null
  api_base_url: string
  callback: WeComCallback
  last_test: WeComCheckReport | null
}

export interface WeComConnectionState {
  connection: WeComConnection | null
}

/** Secrets left out (or empty) keep their stored values. */
export interface SaveWeComConnectionRequest {
  corp_id: string
  contact_secret?: string
  agent_id?: number | null
  app_secret?: string
  callback_token?: string
  encoding_aes_key?: string
}

/** One entry of a 422 answer's `detail`. */
export interface FieldError {
  /** Location of the field, e.g. `body.corp_id`. */
  field: string
  reason: string
}

export type StaffStatus = 'active' | 'left'

/** A WeCom account staff operate (not a console login), mirrored from WeCom. */
export interface Staff {
  id: number
  /** WeCom userid. */
  userid: string
  name: string
  position: string
  department_ids: number[]
  main_department: number | null
  /** Whether the account has the WeCom customer-contact feature. */
  customer_contact: boolean
  status: StaffStatus
  synced_at: string
  left_at: string | null
}

export interface StaffQuery extends PageQuery {
  department_id?: number
  /** Searches name or userid. */
  q?: string
  status?: StaffStatus
}

/** A department mirrored from WeCom; `id` is the WeCom department id. */
export interface Department {
  id: number
  name: string
  parent_id: number
  order: number
  staff_count: number
}

export interface DepartmentList {
  items: Department[]
}

export type StaffSyncStateName = 'never' | 'pending' | 'running' | 'done' | 'dead'

export interface StaffSyncState {
  state: StaffSyncStateName
  requested_at: string | null
  finished_at: string | null
  last_error: string | null
  active: number
  left: number
  departments: number
}

// ---- customers ------------------------------------------------------------------------------

export type CustomerStatus = 'active' | 'lost' | 'erased'
/** WeCom's gender code: 0 unknown, 1 male, 2 female. */
export type Gender = 0 | 1 | 2

/** A tag on a customer, with its group's name. */
export interface TagRef {
  id: number
  name: string
  group: string
}

export interface CustomerRow {
  id: number
  external_userid: string | null
  name: string
  gender: Gender
  avatar: string
  corp_name: string
  status: CustomerStatus
  owner_userid: string | null
  owner_name: string | null
  source_channel: string
  city: string
  member_level: string
  /** Masked (138****0000) unless the role may see phone numbers. */
  phone: string | null
  tags: TagRef[]
  first_added_at: string | null
}

export interface CustomerQuery extends PageQuery {
  /** Name, follow remark, or a phone number (exact, any format). */
  q?: string
  /** Customers holding all of these tags. */
  tag_id?: number[]
  owner_userid?: string
  status?: CustomerStatus
  /** Source channel or the `state` of a friendship (channel code). */
  channel?: string
  /** YYYY-MM-DD, China time. */
  added_from?: string
  added_to?: string
}

export type FollowStatus = 'friend' | 'deleted_by_staff' | 'deleted_by_customer' | 'removed' | 'transferred'

/** A friendship between the customer and one staff account. */
export interface Follow {
  userid: string
  staff_name: string | null
  remark: string
  description: string
  added_at: string
  /** WeCom's add_way code (1 scanned a QR code, 2 searched a phone number, …). */
  add_way: number
  /** The channel code (`state`) of the contact way used. */
  state: string
  status: FollowStatus
  deleted_at: string | null
}

export interface CustomerPhone {
  id: number
  phone: string
  source: string
}

export type ChurnKind = 'deleted_by_customer' | 'deleted_by_staff'

export interface ChurnAlert {
  id: number
  customer_id: number
  customer_name: string
  userid: string
  staff_name: string | null
  kind: ChurnKind
  at: string
  handled_at: string | null
  note: string
}

export type CustomValue = string | number | boolean

export interface CustomerDetail extends CustomerRow {
  type: number
  unionid: string
  birthday: string | null
  preferences: string
  follow_up_days: number | null
  store_id: number | null
  notes: string
  custom: Record<string, CustomValue>
  phones: CustomerPhone[]
  follows: Follow[]
  alerts: ChurnAlert[]
  created_at: string
  updated_at: string
}

/** Profile changes: a field left out stays as it is, `null` clears it. */
export interface CustomerEdit {
  birthday?: string | null
  city?: string | null
  member_level?: string | null
  preferences?: string | null
  follow_up_days?: number | null
  owner_userid?: string | null
  source_channel?: string | null
  notes?: string | null
  /** Merged key by key; a key set to null is removed. */
  custom?: Record<string, CustomValue | null>
}

export type TimelineKind =
  | 'friend_added'
  | 'friend_deleted_by_customer'
  | 'friend_deleted_by_staff'
  | 'friend_removed'
  | 'transferred'
  | 'tagged'
  | 'untagged'
  | 'profile_edited'
  | 'imported'
  | 'erased'

export interface TimelineEvent {
  id: number
  at: string
  /** One of TimelineKind; other kinds may appear as domains are added. */
  kind: string
  /** A staff userid (friendship events), a member's name, or `wecom`. */
  actor: string
  detail: Record<string, unknown>
}

export interface TaggingRequest {
  customer_ids: number[]
  add: number[]
  remove: number[]
}

export interface TaggingResult {
  customers: number
  added: number
  removed: number
  /** Tag writes queued for WeCom. */
  writes: number
}

export type CustomerSyncStateName = 'never' | 'running' | 'done' | 'failed'

export interface CustomerSyncState {
  id: number | null
  state: CustomerSyncStateName
  staff_total: number
  staff_done: number
  pages: number
  follows_seen: number
  customers_new: number
  removed: number
  resumed: number
  error: string
  started_at: string | null
  finished_at: string | null
  customers_total: number
}

export type ChurnAlertState = 'open' | 'handled' | 'all'

export interface ChurnAlertQuery extends PageQuery {
  state?: ChurnAlertState
  userid?: string
}

// ---- tags -----------------------------------------------------------------------------------

export type TagSyncState = 'synced' | 'pending' | 'failed'

export interface Tag {
  id: number
  name: string
  order: number
  wecom_id: string | null
  sync_state: TagSyncState
  sync_error: string
  /** How many customers hold the tag. */
  customers: number
}

export interface TagGroup {
  id: number
  name: string
  order: number
  wecom_id: string | null
  sync_state: TagSyncState
  sync_error: string
  tags: Tag[]
}

export interface TagLibrary {
  groups: TagGroup[]
  /** Tag changes on customers still on their way to WeCom. */
  pending_writes: number
  failed_writes: number
  last_sync_at: string | null
}

export interface CreateTagGroupRequest {
  name: string
  order?: number
  tags: string[]
}

export interface RenameRequest {
  name?: string
  order?: number
}
