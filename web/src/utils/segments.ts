/**
 * The rule builder's model of a segment rule: a tree of groups (all of / any of) and
 * conditions, either of which may be negated. It turns into the API's JSON rule, and back.
 */
import type { SegmentCondition, SegmentField, SegmentRule } from '@/api'

/** How a condition's value is edited. */
export type ValueKind =
  | 'none'
  | 'tags'
  | 'text'
  | 'texts'
  | 'staff'
  | 'staffs'
  | 'gender'
  | 'genders'
  | 'store'
  | 'stores'
  | 'region'
  | 'regions'
  | 'days'
  | 'count'
  | 'range'
  | 'follow'
  | 'groups'

/** The operators of each field, in the order offered, with the editor of their value. */
export const FIELD_OPS: Record<SegmentField, Record<string, ValueKind>> = {
  tags: { any: 'tags', all: 'tags', none: 'tags' },
  city: { eq: 'text', in: 'texts', empty: 'none' },
  level: { eq: 'text', in: 'texts', empty: 'none' },
  channel: { eq: 'text', in: 'texts', empty: 'none' },
  owner: { eq: 'staff', in: 'staffs', empty: 'none' },
  gender: { eq: 'gender', in: 'genders' },
  store: { eq: 'store', in: 'stores', empty: 'none' },
  region: { eq: 'region', in: 'regions' },
  added_at: { within_days: 'days', before_days: 'days', between: 'range', empty: 'none' },
  birthday: { this_week: 'none', this_month: 'none', next_days: 'days', empty: 'none' },
  chat_last: { within_days: 'days', before_days: 'days', between: 'range', empty: 'none' },
  chat_count: { gte: 'count', lte: 'count' },
  follow: { eq: 'follow' },
  group: { any: 'groups', exists: 'none' },
}

export const FIELDS = Object.keys(FIELD_OPS) as SegmentField[]

/** Fields whose values are text the API suggests (with counts) from the tenant's customers. */
export const OPTION_FIELDS = ['city', 'level', 'channel'] as const
export type OptionField = (typeof OPTION_FIELDS)[number]

export interface CondNode {
  kind: 'cond'
  key: number
  negate: boolean
  field: SegmentField
  op: string
  value: unknown
}

export interface GroupNode {
  kind: 'group'
  key: number
  negate: boolean
  match: 'and' | 'or'
  items: RuleNode[]
}

export type RuleNode = CondNode | GroupNode

let nextKey = 1
const newKey = () => nextKey++

export function valueKind(field: SegmentField, op: string): ValueKind {
  return FIELD_OPS[field]?.[op] ?? 'none'
}

/** The value a fresh editor starts with. */
export function defaultValue(kind: ValueKind): unknown {
  switch (kind) {
    case 'tags':
    case 'texts':
    case 'staffs':
    case 'stores':
    case 'regions':
    case 'groups':
    case 'genders':
      return []
    case 'text':
    case 'staff':
      return ''
    case 'store':
    case 'region':
      return null
    case 'gender':
      return 1
    case 'days':
      return 30
    case 'count':
      return 1
    case 'range':
      return null
    case 'follow':
      return 'friend'
    default:
      return null
  }
}

export function newCondition(field: SegmentField = 'tags', op?: string): CondNode {
  const chosen = op ?? Object.keys(FIELD_OPS[field])[0]
  return { kind: 'cond', key: newKey(), negate: false, field, op: chosen, value: defaultValue(valueKind(field, chosen)) }
}

export function newGroup(match: 'and' | 'or' = 'or', items?: RuleNode[]): GroupNode {
  return { kind: 'group', key: newKey(), negate: false, match, items: items ?? [newCondition()] }
}

/** Keep the value when it still fits the new operator, else start afresh. */
export function changeOp(node: CondNode, op: string): void {
  const before = valueKind(node.field, node.op)
  const after = valueKind(node.field, op)
  node.op = op
  if (before === after) return
  const single = (v: unknown) => (Array.isArray(v) ? (v.length ? v[0] : defaultValue(after)) : v)
  const many = (v: unknown) => (Array.isArray(v) ? v : v === null || v === '' ? [] : [v])
  const pairs: Record<string, (v: unknown) => unknown> = {
    'texts>text': single,
    'text>texts': many,
    'staffs>staff': single,
    'staff>staffs': many,
    'stores>store': single,
    'store>stores': many,
    'regions>region': single,
    'region>regions': many,
    'genders>gender': single,
    'gender>genders': many,
  }
  const convert = pairs[`${before}>${after}`]
  node.value = convert ? convert(node.value) : defaultValue(after)
}

export function changeField(node: CondNode, field: SegmentField): void {
  node.field = field
  node.op = Object.keys(FIELD_OPS[field])[0]
  node.value = defaultValue(valueKind(field, node.op))
}

/** Whether a condition has what its operator needs (unfinished rows are left out of counts). */
export function isComplete(node: CondNode): boolean {
  const kind = valueKind(node.field, node.op)
  const v = node.value
  switch (kind) {
    case 'none':
      return true
    case 'days':
    case 'count':
      return typeof v === 'number'
    case 'range':
      return Array.isArray(v) && v.length === 2 && !!v[0] && !!v[1]
    default:
      if (Array.isArray(v)) return v.length > 0
      return v !== null && v !== undefined && v !== ''
  }
}

function conditionJson(node: CondNode): SegmentCondition {
  const kind = valueKind(node.field, node.op)
  if (kind === 'none') return { field: node.field, op: node.op }
  if (kind === 'range') {
    const [from, to] = node.value as [string, string]
    return { field: node.field, op: node.op, value: { from, to } }
  }
  const value = typeof node.value === 'string' ? node.value.trim() : node.value
  return { field: node.field, op: node.op, value }
}

export interface BuiltRule {
  /** The rule of the finished rows, or null when no row is finished yet. */
  rule: SegmentRule | null
  /** The API's clause paths (`and[1]`, `and[1].not.or[0]`…) → the row or group they are. */
  paths: Map<string, number>
  /** Rows left out because their value is not chosen yet. */
  unfinished: number[]
}

/** The API rule of the builder's tree: unfinished rows and empty groups are left out. */
export function buildRule(root: GroupNode): BuiltRule {
  const paths = new Map<string, number>()
  const unfinished: number[] = []

  function walk(node: RuleNode, path: string): SegmentRule | null {
    let inner: SegmentRule | null
    let innerPath = path
    if (node.negate) innerPath = path ? `${path}.not` : 'not'
    if (node.kind === 'cond') {
      if (!isComplete(node)) {
        unfinished.push(node.key)
        return null
      }
      inner = conditionJson(node)
    } else {
      const listPath = innerPath ? `${innerPath}.${node.match}` : node.match
      const parts: SegmentRule[] = []
      for (const item of node.items) {
        const part = walk(item, `${listPath}[${parts.length}]`)
        if (part) parts.push(part)
      }
      if (!parts.length) return null
      inner = node.match === 'and' ? { and: parts } : { or: parts }
      paths.set(listPath, node.key)
    }
    paths.set(innerPath, node.key)
    if (path) paths.set(path, node.key)
    return node.negate ? { not: inner } : inner
  }

  const rule = walk(root, '')
  return { rule, paths, unfinished }
}

/** The row or group an error's path points into: the longest known clause path it starts with. */
export function nodeForPath(paths: Map<string, number>, path: string): number | null {
  let best: string | null = null
  for (const known of paths.keys()) {
    const inside =
      known === '' ||
      path === known ||
      path.startsWith(`${known}.`) ||
      path.startsWith(`${known}[`)
    if (inside && (best === null || known.length > best.length)) best = known
  }
  return best === null ? null : (paths.get(best) ?? null)
}

/** The builder's tree of a saved rule (the root is always a group). */
export function fromRule(rule: SegmentRule): GroupNode {
  const node = toNode(rule)
  if (node.kind === 'group' && !node.negate) return node
  return { kind: 'group', key: newKey(), negate: false, match: 'and', items: [node] }
}

function toNode(rule: SegmentRule): RuleNode {
  if ('not' in rule) {
    const inner = toNode(rule.not)
    if (inner.negate) return { kind: 'group', key: newKey(), negate: true, match: 'and', items: [inner] }
    inner.negate = true
    return inner
  }
  if ('and' in rule) return { kind: 'group', key: newKey(), negate: false, match: 'and', items: rule.and.map(toNode) }
  if ('or' in rule) return { kind: 'group', key: newKey(), negate: false, match: 'or', items: rule.or.map(toNode) }
  const kind = valueKind(rule.field, rule.op)
  let value: unknown = rule.value ?? defaultValue(kind)
  if (kind === 'range' && rule.value && typeof rule.value === 'object') {
    const range = rule.value as { from: string; to: string }
    value = [range.from, range.to]
  }
  return { kind: 'cond', key: newKey(), negate: false, field: rule.field, op: rule.op, value }
}

/** Names for the ids a rule holds, so it can be read in words. */
export interface RuleNames {
  tag: (id: number) => string
  store: (id: number) => string
  region: (id: number) => string
  group: (id: number) => string
  staff: (userid: string) => string
}

type Translate = (key: string, params?: Record<string, unknown>) => string

/** A rule in words, e.g. "城市 等于 上海 且 标签 包含任一 亲子". */
export function describeRule(rule: SegmentRule, t: Translate, names: RuleNames, nested = false): string {
  if ('not' in rule) return `${t('segments.words.not')}（${describeRule(rule.not, t, names, false)}）`
  if ('and' in rule || 'or' in rule) {
    const match = 'and' in rule ? 'and' : 'or'
    const parts = 'and' in rule ? rule.and : (rule as { or: SegmentRule[] }).or
    const text = parts.map((part) => describeRule(part, t, names, true)).join(` ${t(`segments.words.${match}`)} `)
    return nested && parts.length > 1 ? `（${text}）` : text
  }
  return describeCondition(rule, t, names)
}

function describeCondition(cond: SegmentCondition, t: Translate, names: RuleNames): string {
  const field = t(`segments.fields.${cond.field}`)
  const kind = valueKind(cond.field, cond.op)
  const list = (values: unknown): unknown[] => (Array.isArray(values) ? values : [values])
  const sep = t('common.listSeparator')
  let value = ''
  switch (kind) {
    case 'days':
    case 'count':
      return `${field} ${t(`segments.says.${cond.op}`, { n: cond.value as number })}`
    case 'range': {
      const range = (cond.value ?? {}) as { from?: string; to?: string }
      return `${field} ${t('segments.says.between', { from: range.from ?? '', to: range.to ?? '' })}`
    }
    case 'tags':
      value = list(cond.value).map((id) => names.tag(id as number)).join(sep)
      break
    case 'store':
    case 'stores':
      value = list(cond.value).map((id) => names.store(id as number)).join(sep)
      break
    case 'region':
    case 'regions':
      value = list(cond.value).map((id) => names.region(id as number)).join(sep)
      break
    case 'groups':
      value = list(cond.value).map((id) => names.group(id as number)).join(sep)
      break
    case 'staff':
    case 'staffs':
      value = list(cond.value).map((userid) => names.staff(String(userid))).join(sep)
      break
    case 'gender':
    case 'genders':
      value = list(cond.value).map((g) => t(`segments.genders.${g as number}`)).join(sep)
      break
    case 'follow':
      value = t(`segments.follow.${cond.value as string}`)
      break
    case 'text':
    case 'texts':
      value = list(cond.value).map(String).join(sep)
      break
    default:
      value = ''
  }
  return [field, t(`segments.ops.${cond.field}.${cond.op}`), value].filter(Boolean).join(' ')
}
