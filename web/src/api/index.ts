import { request, requestFile } from './http'
import type {
  ApiToken,
  ChurnAlert,
  ChurnAlertQuery,
  CreateTagGroupRequest,
  CustomerDetail,
  CustomerEdit,
  CustomerQuery,
  CustomerRow,
  CustomerSyncState,
  RenameRequest,
  TagLibrary,
  TaggingRequest,
  TaggingResult,
  TimelineEvent,
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

// customers
export const listCustomers = (query: CustomerQuery = {}) =>
  request<Page<CustomerRow>>('GET', `${V1}/customers`, { query: { ...query } })
export const getCustomer = (id: number) => request<CustomerDetail>('GET', `${V1}/customers/${id}`)
export const editCustomer = (id: number, body: CustomerEdit) =>
  request<CustomerDetail>('PATCH', `${V1}/customers/${id}`, { body })
export const addCustomerPhone = (id: number, phone: string) =>
  request<CustomerDetail>('POST', `${V1}/customers/${id}/phones`, { body: { phone } })
export const getCustomerTimeline = (id: number, query: PageQuery = {}) =>
  request<Page<TimelineEvent>>('GET', `${V1}/customers/${id}/timeline`, { query: { ...query } })
export const tagCustomers = (body: TaggingRequest) =>
  request<TaggingResult>('POST', `${V1}/customers/tagging`, { body })
export const getCustomerSync = () => request<CustomerSyncState>('GET', `${V1}/customers-sync`)
/** Starts reading every customer from WeCom in the background (a sync under way is reused). */
export const syncCustomers = () => request<CustomerSyncState>('POST', `${V1}/customers-sync`)
export const exportPersonalData = (id: number) => requestFile('GET', `${V1}/customers/${id}/personal-data`)
export const eraseCustomer = (id: number) => request<CustomerDetail>('POST', `${V1}/customers/${id}/erase`)

// churn alerts
export const listChurnAlerts = (query: ChurnAlertQuery = {}) =>
  request<Page<ChurnAlert>>('GET', `${V1}/churn-alerts`, { query: { ...query } })
export const handleChurnAlert = (id: number, note: string) =>
  request<ChurnAlert>('POST', `${V1}/churn-alerts/${id}/handle`, { body: { note } })

// tag library (every write answers with the whole library)
export const getTagLibrary = () => request<TagLibrary>('GET', `${V1}/tags`)
export const createTagGroup = (body: CreateTagGroupRequest) =>
  request<TagLibrary>('POST', `${V1}/tag-groups`, { body })
export const editTagGroup = (id: number, body: RenameRequest) =>
  request<TagLibrary>('PATCH', `${V1}/tag-groups/${id}`, { body })
export const deleteTagGroup = (id: number) => request<TagLibrary>('DELETE', `${V1}/tag-groups/${id}`)
export const addTags = (groupId: number, names: string[]) =>
  request<TagLibrary>('POST', `${V1}/tag-groups/${groupId}/tags`, { body: { names } })
export const editTag = (id: number, body: RenameRequest) => request<TagLibrary>('PATCH', `${V1}/tags/${id}`, { body })
export const deleteTag = (id: number) => request<TagLibrary>('DELETE', `${V1}/tags/${id}`)
/** Pushes pending changes and pulls WeCom's corp tags in the background. */
export const syncTags = () => request<TagLibrary>('POST', `${V1}/tags/sync`)
