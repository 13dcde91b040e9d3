import type { Attachment, CodeInput, CodeStatus, MemberRule, Welcome, WelcomeStatus } from '@/api'

/** WeCom's limits, shown as hints and checked before saving. */
export const LIMITS = {
  members: 100,
  fallback: 10,
  welcomeBytes: 4000,
  attachments: 9,
  variants: 6,
  shifts: 14,
  remarkChars: 20,
  remarkMax: 40,
  descriptionMax: 200,
  nameMax: 60,
  folderMax: 30,
  landingTitleMax: 40,
  landingDescriptionMax: 200,
} as const

/** Variables a welcome text may hold (filled in per customer when it is sent). */
export const WELCOME_VARIABLES = ['{客户昵称}', '{员工姓名}'] as const
/** Variables of the remark and description templates. */
export const REMARK_VARIABLES = ['{客户昵称}', '{渠道}', '{日期}'] as const

/** The day-of-week numbers the API uses: 1 Monday … 7 Sunday. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length
}

export function emptyWelcome(): Welcome {
  return { enabled: false, text: '', attachments: [], variants: [] }
}

export function newMember(userid: string): MemberRule {
  return { userid, weight: 1, daily_cap: null, backup: false, hours: [] }
}

export function emptyCode(): CodeInput {
  return {
    name: '',
    folder: '',
    routing: 'round_robin',
    members: [],
    fallback_userids: [],
    skip_verify: true,
    tag_ids: [],
    remark_template: '',
    description_template: '',
    welcome: emptyWelcome(),
    landing: { title: '', description: '' },
    store_id: null,
    nearest_store: false,
  }
}

/** A deep copy, so a form never edits what a list shows. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** Fill in the variables for a preview (the server does the same when it sends). */
export function renderTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{([^{}]+)\}/g, (whole, name: string) => values[name] ?? whole)
}

export function statusType(status: CodeStatus): 'success' | 'warning' | 'danger' | 'info' {
  return ({ live: 'success', creating: 'warning', failed: 'danger', deleted: 'info' } as const)[status]
}

export function welcomeStatusType(status: WelcomeStatus): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  switch (status) {
    case 'sent':
      return 'success'
    case 'unconfirmed':
    case 'pending':
    case 'sending':
      return 'warning'
    case 'failed':
      return 'danger'
    default:
      return 'info'
  }
}

/** Reason codes the welcome log carries; anything else is WeCom's own message, shown as is. */
export const WELCOME_REASONS = ['window_passed', 'code_used', 'no_welcome_code', 'rate_limited', 'not_connected'] as const

export type AttachmentKind = 'link' | 'image' | 'miniprogram'

/** The fields each kind of attachment is edited with (required ones first). */
export const ATTACHMENT_FIELDS: Record<AttachmentKind, { key: string; required: boolean }[]> = {
  link: [
    { key: 'title', required: true },
    { key: 'url', required: true },
    { key: 'picurl', required: false },
    { key: 'desc', required: false },
  ],
  image: [{ key: 'pic_url', required: true }],
  miniprogram: [
    { key: 'title', required: true },
    { key: 'appid', required: true },
    { key: 'page', required: true },
    { key: 'pic_media_id', required: true },
  ],
}

export function newAttachment(kind: AttachmentKind): Attachment {
  const body: Record<string, string> = {}
  for (const field of ATTACHMENT_FIELDS[kind]) body[field.key] = ''
  return { msgtype: kind, [kind]: body }
}

/** The attachment's body without empty optional fields (the API refuses nothing, WeCom might). */
export function cleanAttachment(attachment: Attachment): Attachment {
  const kind = attachment.msgtype
  const body = { ...(attachment[kind] ?? {}) }
  for (const [key, value] of Object.entries(body)) if (!value) delete body[key]
  return { msgtype: kind, [kind]: body }
}

export function cleanWelcome(welcome: Welcome): Welcome {
  return {
    enabled: welcome.enabled,
    text: welcome.text,
    attachments: welcome.attachments.map(cleanAttachment),
    variants: welcome.variants.map((v) => ({ ...v, attachments: v.attachments.map(cleanAttachment) })),
  }
}

/** Today (China time, as the backend counts days) and some days before, as YYYY-MM-DD. */
export function chinaDay(offsetDays = 0): string {
  const now = new Date(Date.now() + 8 * 3600_000 + offsetDays * 86400_000)
  return now.toISOString().slice(0, 10)
}
