import { request, requestFile, uploadFile, uploadFileForFile } from './http'
import type {
  ChannelCode,
  ChannelCodeQuery,
  ChannelResults,
  ChannelResultsQuery,
  CodeInput,
  DefaultWelcome,
  PosterQuery,
  QrFormat,
  QrSize,
  WelcomeLog,
  WelcomeQuery,
  AddFriendList,
  AddFriendListDetail,
  AddFriendListEdit,
  AddFriendSkipReason,
  AddFriendTask,
  AddFriendTaskQuery,
  AddFriendToday,
  CustomerExportQuery,
  CustomerImport,
  CustomerImportPreview,
  ImportMappingRequest,
  Region,
  RegionInput,
  RegionList,
  Rotation,
  RotationRequest,
  StoreDetail,
  StoreInput,
  StoreQuery,
  StoreRow,
  TaggingRun,
  TaggingRunRequest,
  Transfer,
  TransferDetail,
  TransferItemQuery,
  TransferQuery,
  TransferRequest,
  UnassignedPage,
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
export * from './groups'
export * from './segments'
export * from './keywords'
export * from './behaviour'
export * from './moments'
export * from './materials'
export * from './scripts'

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
/** Tags every customer a filter selects, in the background; follow it with `getTaggingRun`. */
export const startTaggingRun = (body: TaggingRunRequest) =>
  request<TaggingRun>('POST', `${V1}/tagging-runs`, { body })
export const getTaggingRun = (id: number) => request<TaggingRun>('GET', `${V1}/tagging-runs/${id}`)

// customer imports & export
/** Uploads an .xlsx / .csv: answers its columns, a suggested mapping and a preview; nothing is imported yet. */
export const uploadCustomerImport = (file: File) =>
  uploadFile<CustomerImportPreview>(`${V1}/customer-imports`, file)
export const listCustomerImports = (query: PageQuery = {}) =>
  request<Page<CustomerImport>>('GET', `${V1}/customer-imports`, { query: { ...query } })
export const getCustomerImport = (id: number) =>
  request<CustomerImportPreview>('GET', `${V1}/customer-imports/${id}`)
export const mapCustomerImport = (id: number, body: ImportMappingRequest) =>
  request<CustomerImportPreview>('PUT', `${V1}/customer-imports/${id}/mapping`, { body })
export const startCustomerImport = (id: number) =>
  request<CustomerImportPreview>('POST', `${V1}/customer-imports/${id}/start`)
export const downloadImportRejects = (id: number) =>
  requestFile('GET', `${V1}/customer-imports/${id}/rejects.xlsx`)
export const exportCustomers = (query: CustomerExportQuery = {}) =>
  requestFile('GET', `${V1}/customers-export.xlsx`, { query: { ...query } })

// regions & stores
export const listRegions = () => request<RegionList>('GET', `${V1}/regions`)
export const createRegion = (body: RegionInput) => request<Region>('POST', `${V1}/regions`, { body })
export const editRegion = (id: number, body: RegionInput) =>
  request<Region>('PATCH', `${V1}/regions/${id}`, { body })
export const deleteRegion = (id: number) => request<void>('DELETE', `${V1}/regions/${id}`)
export const listStores = (query: StoreQuery = {}) =>
  request<Page<StoreRow>>('GET', `${V1}/stores`, { query: { ...query } })
export const getStore = (id: number) => request<StoreDetail>('GET', `${V1}/stores/${id}`)
export const createStore = (body: StoreInput) => request<StoreDetail>('POST', `${V1}/stores`, { body })
export const editStore = (id: number, body: StoreInput) =>
  request<StoreDetail>('PATCH', `${V1}/stores/${id}`, { body })
export const deleteStore = (id: number) => request<void>('DELETE', `${V1}/stores/${id}`)
/** The staff accounts working for the store, in full (accounts of another store move here). */
export const setStoreStaff = (id: number, staffAccountIds: number[]) =>
  request<StoreDetail>('PUT', `${V1}/stores/${id}/staff`, { body: { staff_account_ids: staffAccountIds } })
/** The shop managers looking after the store, in full (members with the shop manager role). */
export const setStoreManagers = (id: number, userIds: number[]) =>
  request<StoreDetail>('PUT', `${V1}/stores/${id}/managers`, { body: { user_ids: userIds } })

// rotation of who operates a staff account
export const listStaffRotations = (staffId: number, query: PageQuery = {}) =>
  request<Page<Rotation>>('GET', `${V1}/staff/${staffId}/rotations`, { query: { ...query } })
export const rotateStaffAccount = (staffId: number, body: RotationRequest) =>
  request<Rotation>('POST', `${V1}/staff/${staffId}/rotations`, { body })

// transfers (在职继承 / 离职继承)
export const listTransfers = (query: TransferQuery = {}) =>
  request<Page<Transfer>>('GET', `${V1}/transfers`, { query: { ...query } })
export const getTransfer = (id: number, query: TransferItemQuery = {}) =>
  request<TransferDetail>('GET', `${V1}/transfers/${id}`, { query: { ...query } })
export const createTransfer = (body: TransferRequest) =>
  request<TransferDetail>('POST', `${V1}/transfers`, { body })
/** Reads WeCom's results for the transfer now (answers its first page of customers). */
export const refreshTransfer = (id: number) => request<TransferDetail>('POST', `${V1}/transfers/${id}/refresh`)
export const listUnassignedCustomers = (cursor = '', pageSize = 100) =>
  request<UnassignedPage>('GET', `${V1}/transfers/unassigned`, { query: { cursor, page_size: pageSize } })

// channel codes (渠道活码), welcomes and channel results
export const listChannelCodes = (query: ChannelCodeQuery = {}) =>
  request<Page<ChannelCode>>('GET', `${V1}/channel-codes`, { query: { ...query } })
export const listChannelCodeFolders = () => request<string[]>('GET', `${V1}/channel-code-folders`)
export const getChannelCode = (id: number) => request<ChannelCode>('GET', `${V1}/channel-codes/${id}`)
/** WeCom makes the contact way in the background: `status` turns `live` (or `failed`) after a job runs. */
export const createChannelCode = (body: CodeInput) => request<ChannelCode>('POST', `${V1}/channel-codes`, { body })
export const updateChannelCode = (id: number, body: Partial<CodeInput>) =>
  request<ChannelCode>('PATCH', `${V1}/channel-codes/${id}`, { body })
export const deleteChannelCode = (id: number) => request<void>('DELETE', `${V1}/channel-codes/${id}`)
export const downloadChannelCodeQr = (id: number, format: QrFormat = 'png', size: QrSize = 'web') =>
  requestFile('GET', `${V1}/channel-codes/${id}/qr`, { query: { format, size } })
/** The QR with a logo in the middle (PNG or JPEG, ≤512 KB). */
export const renderChannelCodeQrWithLogo = (id: number, logo: File, format: QrFormat = 'png', size: QrSize = 'print') =>
  uploadFileForFile(`${V1}/channel-codes/${id}/qr`, logo, 'logo', { format, size })
export const downloadChannelCodePoster = (id: number, query: PosterQuery = {}) =>
  requestFile('GET', `${V1}/channel-codes/${id}/poster.svg`, { query: { ...query } })
export const listWelcomes = (query: WelcomeQuery = {}) =>
  request<Page<WelcomeLog>>('GET', `${V1}/welcomes`, { query: { ...query } })
export const getDefaultWelcome = () => request<DefaultWelcome>('GET', `${V1}/default-welcome`)
export const setDefaultWelcome = (body: DefaultWelcome) =>
  request<DefaultWelcome>('PUT', `${V1}/default-welcome`, { body })
export const getChannelResults = (query: ChannelResultsQuery = {}) =>
  request<ChannelResults>('GET', `${V1}/channel-results`, { query: { ...query } })
export const exportChannelResults = (query: ChannelResultsQuery = {}) =>
  requestFile('GET', `${V1}/channel-results.xlsx`, { query: { ...query } })
// add-friend lists (拓客名单) and their tasks
export const listAddFriendLists = (query: PageQuery = {}) =>
  request<Page<AddFriendList>>('GET', `${V1}/add-friend-lists`, { query: { ...query } })
/** Uploads a phone list: a draft with its columns, a suggested mapping and a preview. */
export const uploadAddFriendList = (file: File) =>
  uploadFile<AddFriendListDetail>(`${V1}/add-friend-lists`, file)
export const getAddFriendList = (id: number) =>
  request<AddFriendListDetail>('GET', `${V1}/add-friend-lists/${id}`)
export const editAddFriendList = (id: number, body: AddFriendListEdit) =>
  request<AddFriendListDetail>('PATCH', `${V1}/add-friend-lists/${id}`, { body })
export const mapAddFriendList = (id: number, mapping: Record<string, string>) =>
  request<AddFriendListDetail>('PUT', `${V1}/add-friend-lists/${id}/mapping`, { body: { mapping } })
export const startAddFriendList = (id: number) =>
  request<AddFriendListDetail>('POST', `${V1}/add-friend-lists/${id}/start`)
export const cancelAddFriendList = (id: number) =>
  request<AddFriendListDetail>('POST', `${V1}/add-friend-lists/${id}/cancel`)
export const deleteAddFriendList = (id: number) => request<void>('DELETE', `${V1}/add-friend-lists/${id}`)
export const downloadAddFriendRejects = (id: number) =>
  requestFile('GET', `${V1}/add-friend-lists/${id}/rejects.xlsx`)
export const listAddFriendTasks = (query: AddFriendTaskQuery = {}) =>
  request<Page<AddFriendTask>>('GET', `${V1}/add-friend-tasks`, { query: { ...query } })
export const reassignAddFriendTasks = (body: { from_userid: string; to_userids: string[]; list_id?: number }) =>
  request<{ moved: number }>('POST', `${V1}/add-friend-tasks/reassign`, { body })
/** Today's tasks of the accounts you operate, or of `userid`. */
export const getAddFriendToday = (userid?: string) =>
  request<AddFriendToday>('GET', `${V1}/add-friend/today`, { query: { userid } })
export const markAddFriendTaskSent = (id: number) =>
  request<AddFriendTask>('POST', `${V1}/add-friend-tasks/${id}/sent`)
export const skipAddFriendTask = (id: number, reason: AddFriendSkipReason, note = '') =>
  request<AddFriendTask>('POST', `${V1}/add-friend-tasks/${id}/skip`, { body: { reason, note } })
export * from './broadcasts'
export * from './playbooks'
export * from './invitations'
