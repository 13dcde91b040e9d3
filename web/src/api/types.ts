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
  /** Customers recorded as customers of this store. */
  store_id?: number
}

/** The list's filters as the export and tagging runs take them (no paging). */
export type CustomerExportQuery = Omit<CustomerQuery, 'page' | 'page_size' | 'store_id'>

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
  | 'friend_transferred'
  | 'transferred'
  | 'tagged'
  | 'untagged'
  | 'profile_edited'
  | 'imported'
  | 'erased'
  | 'welcomed'

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

// ---- bulk tagging of a whole filter ----------------------------------------------------------

/** The customer list's filters, as a tagging run takes them (no store filter). */
export interface TaggingRunFilter {
  q?: string | null
  tag_ids?: number[]
  owner_userid?: string | null
  status?: CustomerStatus | null
  channel?: string | null
  added_from?: string | null
  added_to?: string | null
}

export interface TaggingRunRequest {
  filter: TaggingRunFilter
  add: number[]
  remove: number[]
}

export type TaggingRunState = 'running' | 'done' | 'failed'

export interface TaggingRun {
  id: number
  state: TaggingRunState
  /** Customers the filter selected when the run started. */
  total: number
  done: number
  tagged: number
  untagged: number
  writes: number
  created_at: string
  finished_at: string | null
}

// ---- customer imports -------------------------------------------------------------------------

export type ImportState = 'uploaded' | 'running' | 'done' | 'failed'

/** A field a column can feed, with the column names it is usually found under. */
export interface ImportField {
  name: string
  aliases: string[]
}

export interface CustomerImport {
  id: number
  filename: string
  format: string
  size: number
  /** The file's column names, in order. */
  headers: string[]
  /** `{column name: field}`; a field is one of `fields` or `custom:<name>`. Unmapped columns are skipped. */
  mapping: Record<string, string>
  tag_ids: number[]
  state: ImportState
  /** Roughly how many rows the file holds (null when unknown, e.g. a CSV). */
  rows_hint: number | null
  rows_read: number
  created: number
  updated: number
  unchanged: number
  rejected: number
  error: string
  created_at: string
  finished_at: string | null
}

export interface ImportProblem {
  /** The column at fault; empty when the row as a whole is (e.g. nothing identifies it). */
  column: string
  reason: string
}

export interface ImportPreviewRow {
  /** The row's number in the sheet (the header is row 1). */
  row: number
  /** `{field: text}` for the mapped columns. */
  values: Record<string, string>
  problems: ImportProblem[]
}

export interface CustomerImportPreview extends CustomerImport {
  fields: ImportField[]
  preview: ImportPreviewRow[]
}

export interface ImportMappingRequest {
  mapping: Record<string, string>
  tag_ids: number[]
}

// ---- regions, stores, rotation ----------------------------------------------------------------

export type StoreStatus = 'active' | 'closed'

export interface Region {
  id: number
  name: string
  order: number
  store_count: number
  created_at: string
  updated_at: string
}

export interface RegionList {
  items: Region[]
}

export interface RegionInput {
  name?: string
  order?: number
}

export interface StoreRow {
  id: number
  name: string
  code: string | null
  region_id: number | null
  region_name: string | null
  city: string
  address: string
  latitude: number | null
  longitude: number | null
  phone: string
  status: StoreStatus
  staff_count: number
  created_at: string
  updated_at: string
}

export interface StoreStaff {
  id: number
  userid: string
  name: string
  status: StaffStatus
}

export interface StoreManager {
  id: number
  username: string
  display_name: string
  is_active: boolean
}

export interface StoreDetail extends StoreRow {
  staff: StoreStaff[]
  managers: StoreManager[]
}

export interface StoreQuery extends PageQuery {
  region_id?: number
  city?: string
  status?: StoreStatus
  /** Name, code or address. */
  q?: string
}

/** A store's fields; on edit a field left out stays, `null` clears the code, region or place. */
export interface StoreInput {
  name?: string
  code?: string | null
  region_id?: number | null
  city?: string
  address?: string
  latitude?: number | null
  longitude?: number | null
  phone?: string
  status?: StoreStatus
}

/** One period in which a person operated a staff account. */
export interface Rotation {
  id: number
  staff_account_id: number
  operator_name: string
  /** The console member who is that person, when they have one. */
  user_id: number | null
  started_at: string
  /** Null for the current period. */
  ended_at: string | null
}

export interface RotationRequest {
  operator_name: string
  user_id?: number | null
  /** ISO 8601 with a time zone; now when left out. */
  started_at?: string
}

// ---- transfers (在职继承 / 离职继承) ------------------------------------------------------------

export type TransferKind = 'active' | 'resigned'
export type TransferState = 'sending' | 'waiting' | 'done'
export type TransferItemStatus = 'queued' | 'sending' | 'waiting' | 'accepted' | 'refused' | 'failed'

export const TRANSFER_ITEM_STATUSES: readonly TransferItemStatus[] = [
  'queued',
  'sending',
  'waiting',
  'accepted',
  'refused',
  'failed',
]

export type TransferCounts = Record<TransferItemStatus, number> & { total: number }

export interface Transfer {
  id: number
  kind: TransferKind
  handover_userid: string
  handover_name: string | null
  takeover_userid: string
  takeover_name: string | null
  message: string
  state: TransferState
  counts: TransferCounts
  created_by: number | null
  created_by_label: string
  created_at: string
  finished_at: string | null
}

export interface TransferItem {
  id: number
  customer_id: number
  customer_name: string
  external_userid: string
  status: TransferItemStatus
  /** A stable code, e.g. customer_refused, too_frequent. */
  reason: string
  /** What happened and what can be done, in the member's language. */
  reason_text: string
  errcode: number | null
  requested_at: string | null
  settled_at: string | null
}

export interface TransferDetail extends Transfer {
  items: TransferItem[]
  items_total: number
  page: number
  page_size: number
}

export interface TransferQuery extends PageQuery {
  state?: TransferState
  kind?: TransferKind
  /** Handover or takeover account. */
  userid?: string
}

export interface TransferItemQuery extends PageQuery {
  status?: TransferItemStatus
}

export interface TransferRequest {
  kind: TransferKind
  handover_userid: string
  takeover_userid: string
  /** Default: every current customer of the handover account. */
  customer_ids?: number[]
  /** Active transfers only: what the customer reads (WeCom's default text if left out). */
  message?: string
}

/** A customer of a departed staff member nobody has taken over yet (离职待分配). */
export interface UnassignedCustomer {
  handover_userid: string
  handover_name: string | null
  external_userid: string
  /** Null when Siyu has not synced this customer. */
  customer_id: number | null
  customer_name: string | null
  dimission_time: string | null
}

export interface UnassignedPage {
  items: UnassignedCustomer[]
  /** Pass back as `cursor` for the next page; empty at the end. */
  next_cursor: string
}

// ---- channel codes (渠道活码), welcomes, channel results -------------------------------------

export type CodeRouting = 'single' | 'round_robin' | 'weighted'
export type CodeStatus = 'creating' | 'live' | 'failed' | 'deleted'
export type WelcomeStatus = 'pending' | 'sending' | 'sent' | 'unconfirmed' | 'expired' | 'skipped' | 'failed'

export const CODE_ROUTINGS: readonly CodeRouting[] = ['single', 'round_robin', 'weighted']
export const WELCOME_STATUSES: readonly WelcomeStatus[] = [
  'sent',
  'unconfirmed',
  'pending',
  'sending',
  'expired',
  'skipped',
  'failed',
]

/** A working shift: weekdays 1 (Monday) … 7 (Sunday), China time; an end before the start runs past midnight. */
export interface Shift {
  days: number[]
  start: string
  end: string
}

export interface MemberRule {
  userid: string
  weight: number
  daily_cap: number | null
  backup: boolean
  /** Empty: always on duty. */
  hours: Shift[]
}

export type AttachmentType = 'image' | 'link' | 'miniprogram' | 'video' | 'file'

/** One WeCom message attachment, as `send_welcome_msg` takes it. */
export interface Attachment {
  msgtype: AttachmentType
  image?: Record<string, string> | null
  link?: Record<string, string> | null
  miniprogram?: Record<string, string> | null
  video?: Record<string, string> | null
  file?: Record<string, string> | null
}

export interface WelcomeVariant {
  start: string
  end: string
  text: string
  attachments: Attachment[]
}

export interface Welcome {
  enabled: boolean
  text: string
  attachments: Attachment[]
  variants: WelcomeVariant[]
}

export interface Landing {
  title: string
  description: string
}

export interface CodeInput {
  name: string
  folder: string
  routing: CodeRouting
  members: MemberRule[]
  fallback_userids: string[]
  skip_verify: boolean
  tag_ids: number[]
  remark_template: string
  description_template: string
  welcome: Welcome
  landing: Landing
  /** The store this code serves. */
  store_id: number | null
  /** The landing page sends each visitor on to the code of the store nearest to them. */
  nearest_store: boolean
}

export interface CodeCounts {
  today: number
  total: number
  /** Friends brought in who are still friends. */
  net: number
  greeted: number
}

export interface ChannelCode extends CodeInput {
  id: number
  state: string
  status: CodeStatus
  sync_error: string | null
  config_id: string | null
  qr_url: string | null
  landing_url: string
  store_name: string | null
  member_names: Record<string, string>
  /** The members WeCom hands new friends to right now. */
  roster: string[]
  /** WeCom holds the latest rules. */
  in_step: boolean
  counts: CodeCounts
  created_at: string
  updated_at: string
}

export interface ChannelCodeQuery extends PageQuery {
  search?: string
  folder?: string
}

export type QrFormat = 'png' | 'svg'
/** A named size (screen 258 px, web 430, print 1280, poster 2480) or pixels. */
export type QrSize = 'screen' | 'web' | 'print' | 'poster' | `${number}`

export interface PosterQuery {
  title?: string
  subtitle?: string
  footer?: string
}

export interface WelcomeLog {
  id: number
  code_id: number | null
  code_name: string | null
  customer_id: number
  customer_name: string
  userid: string
  staff_name: string | null
  status: WelcomeStatus
  /** A reason code (window_passed, code_used, no_welcome_code, rate_limited, not_connected) or WeCom's message. */
  reason: string
  errcode: number | null
  added_at: string
  sent_at: string | null
  text: string
}

export interface WelcomeQuery extends PageQuery {
  code_id?: number
  status?: WelcomeStatus
}

export interface DefaultWelcome {
  welcome: Welcome
}

export interface ResultRow {
  /** A day (YYYY-MM-DD), a code id or a userid. */
  key: string
  label: string
  added: number
  lost_1d: number
  lost_7d: number
  lost_30d: number
  lost: number
  net: number
  greeted: number
}

export interface ChannelResults {
  date_from: string
  date_to: string
  totals: ResultRow
  by_day: ResultRow[]
  by_code: ResultRow[]
  by_staff: ResultRow[]
}

export interface ChannelResultsQuery {
  date_from?: string
  date_to?: string
  code_id?: number
  userid?: string
}

// ---- add-friend lists (拓客名单) --------------------------------------------------------------

export type AddFriendListState = 'draft' | 'importing' | 'active' | 'cancelled' | 'failed'
export type AddFriendTaskState = 'pending' | 'sent' | 'done' | 'skipped' | 'cancelled'
export type AddFriendSkipReason = 'no_such_number' | 'refused' | 'already_added' | 'other'

/** Tasks by progress; `done_by_other`: the customer became a friend of another account. */
export interface AddFriendCounts {
  pending: number
  sent: number
  done: number
  done_by_other: number
  skipped: number
  cancelled: number
  total: number
}

export interface AddFriendList {
  id: number
  name: string
  state: AddFriendListState
  filename: string
  headers: string[]
  mapping: Record<string, string>
  userids: string[]
  store_ids: number[]
  daily_limit: number
  /** 验证语 template: {品牌} {员工} {客户}. */
  greeting: string
  start_day: string | null
  rows_hint: number | null
  rows_read: number
  added: number
  existing_customers: number
  duplicates: number
  open_elsewhere: number
  rejected: number
  error: string
  created_at: string
  started_at: string | null
  imported_at: string | null
  cancelled_at: string | null
  counts: AddFriendCounts
}

export interface AddFriendStaffProgress {
  userid: string
  name: string | null
  left: boolean
  counts: AddFriendCounts
  due_today: number
}

export interface AddFriendListDetail extends AddFriendList {
  fields: { name: string; aliases: string[]; required: boolean }[]
  preview: ImportPreviewRow[]
  by_staff: AddFriendStaffProgress[]
  today: string
  days_left: number | null
}

export interface AddFriendListEdit {
  name?: string
  greeting?: string
  daily_limit?: number
  userids?: string[]
  store_ids?: number[]
  start_day?: string
}

export interface AddFriendTask {
  id: number
  list_id: number
  list_name: string
  row: number
  /** In full for who works the task or may see phones; masked otherwise. */
  phone: string
  phone_masked: boolean
  name: string
  note: string
  source: string
  userid: string
  staff_name: string | null
  due_day: string | null
  state: AddFriendTaskState
  skip_reason: string
  skip_note: string
  customer_id: number | null
  completed_userid: string | null
  by_other: boolean
  /** The list's greeting filled in for this task. */
  greeting: string
  sent_at: string | null
  finished_at: string | null
}

export interface AddFriendTaskQuery extends PageQuery {
  list_id?: number
  userid?: string
  state?: AddFriendTaskState
  day?: string
}

export interface AddFriendToday {
  today: string
  userids: string[]
  operated: string[]
  daily_limit: number
  tasks: AddFriendTask[]
}
