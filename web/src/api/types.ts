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
