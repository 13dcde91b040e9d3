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
