import { request } from './http'
import type {
  ApiToken,
  AuditLog,
  AuditLogQuery,
  CreateApiTokenRequest,
  CreateApiTokenResponse,
  CreateUserRequest,
  Dashboard,
  DepartmentList,
  LoginRequest,
  LoginResponse,
  Me,
  Page,
  PageQuery,
  SaveWeComConnectionRequest,
  Staff,
  StaffQuery,
  StaffSyncState,
  TokenScopes,
  UpdateMeRequest,
  UpdateUserRequest,
  User,
  WeComCheckReport,
  WeComConnectionState,
} from './types'

export { ApiError, configureClient, setCsrfToken } from './http'
export * from './types'

const V1 = '/api/v1'

// auth
export const login = (body: LoginRequest) => request<LoginResponse>('POST', `${V1}/auth/login`, { body })
export const logout = () => request<void>('POST', `${V1}/auth/logout`)
export const getMe = () => request<Me>('GET', `${V1}/auth/me`)
export const updateMe = (body: UpdateMeRequest) => request<Me>('PATCH', `${V1}/auth/me`, { body })

// dashboard
export const getDashboard = () => request<Dashboard>('GET', `${V1}/dashboard`)

// audit log
export const listAuditLogs = (query: AuditLogQuery = {}) =>
  request<Page<AuditLog>>('GET', `${V1}/audit-logs`, { query: { ...query } })

// members
export const listUsers = (query: PageQuery = {}) =>
  request<Page<User>>('GET', `${V1}/users`, { query: { ...query } })
export const createUser = (body: CreateUserRequest) => request<User>('POST', `${V1}/users`, { body })
export const updateUser = (id: number, body: UpdateUserRequest) =>
  request<User>('PATCH', `${V1}/users/${id}`, { body })

// API tokens
export const listApiTokens = (query: PageQuery = {}) =>
  request<Page<ApiToken>>('GET', `${V1}/api-tokens`, { query: { ...query } })
export const getTokenScopes = () => request<TokenScopes>('GET', `${V1}/api-tokens/scopes`)
export const createApiToken = (body: CreateApiTokenRequest) =>
  request<CreateApiTokenResponse>('POST', `${V1}/api-tokens`, { body })
export const revokeApiToken = (id: number) => request<void>('DELETE', `${V1}/api-tokens/${id}`)

// WeCom connection
export const getWeComConnection = () => request<WeComConnectionState>('GET', `${V1}/wecom/connection`)
export const saveWeComConnection = (body: SaveWeComConnectionRequest) =>
  request<WeComConnectionState>('PUT', `${V1}/wecom/connection`, { body })
export const checkWeComConnection = () => request<WeComCheckReport>('POST', `${V1}/wecom/connection/check`)

// staff & departments (mirrored from WeCom)
export const listStaff = (query: StaffQuery = {}) =>
  request<Page<Staff>>('GET', `${V1}/staff`, { query: { ...query } })
export const listDepartments = () => request<DepartmentList>('GET', `${V1}/departments`)
export const getStaffSync = () => request<StaffSyncState>('GET', `${V1}/staff/sync`)
/** Starts a sync from WeCom in the background; answers 202 with the (pending) state. */
export const syncStaff = () => request<StaffSyncState>('POST', `${V1}/staff/sync`)
