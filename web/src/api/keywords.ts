/** Keyword rules (关键词规则) and the chat archive (会话存档) they read. */
import { request } from './http'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

export const KEYWORD_LIMITS = { keywords: 1000, keywordChars: 30, name: 60, tags: 20 } as const

export type MatchMode = 'contains' | 'exact'
export type ChatSide = 'customer' | 'staff' | 'both'
export const MATCH_MODES: readonly MatchMode[] = ['contains', 'exact']
export const CHAT_SIDES: readonly ChatSide[] = ['customer', 'staff', 'both']

export interface KeywordRule {
  id: number
  name: string
  keywords: string[]
  match_mode: MatchMode
  side: ChatSide
  tag_ids: number[]
  enabled: boolean
  hits: number
  customers: number
  last_hit_at: string | null
  created_at: string
  updated_at: string
}

export interface KeywordRuleInput {
  name: string
  keywords: string[]
  match_mode: MatchMode
  side: ChatSide
  tag_ids: number[]
  enabled: boolean
}

export interface KeywordHit {
  id: number
  customer_id: number
  customer_name: string
  keyword: string
  side: 'customer' | 'staff'
  excerpt: string
  msgid: string
  at: string
}

export interface ChatArchiveStatus {
  source: 'sandbox' | 'finance_sdk'
  enabled: boolean
  configured: boolean
  problem: string | null
  secret_set: boolean
  private_key_versions: number[]
  cursor_seq: number
  last_pull_at: string | null
  last_message_at: string | null
  messages_read: number
  skipped_group: number
  skipped_unknown: number
  skipped_other: number
  errors: number
  last_error: string | null
  last_error_at: string | null
  pulling: boolean
}

export interface KeywordRuleQuery extends PageQuery {
  search?: string
}

export const listKeywordRules = (query: KeywordRuleQuery = {}) =>
  request<Page<KeywordRule>>('GET', `${V1}/keyword-rules`, { query: { ...query } })
export const createKeywordRule = (body: KeywordRuleInput) =>
  request<KeywordRule>('POST', `${V1}/keyword-rules`, { body })
export const updateKeywordRule = (id: number, body: Partial<KeywordRuleInput>) =>
  request<KeywordRule>('PATCH', `${V1}/keyword-rules/${id}`, { body })
export const deleteKeywordRule = (id: number) => request<void>('DELETE', `${V1}/keyword-rules/${id}`)
export const listKeywordHits = (id: number, query: PageQuery = {}) =>
  request<Page<KeywordHit>>('GET', `${V1}/keyword-rules/${id}/hits`, { query: { ...query } })
export const getChatArchive = () => request<ChatArchiveStatus>('GET', `${V1}/chat-archive`)
export const pullChatArchive = () => request<{ job_id: number }>('POST', `${V1}/chat-archive/pull`)

/** Keywords typed one a line or separated by commas (，、 too), trimmed, blanks and repeats out. */
export function splitKeywords(text: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of text.split(/[\n,，、;；]+/)) {
    const keyword = raw.trim()
    if (keyword && !seen.has(keyword)) {
      seen.add(keyword)
      out.push(keyword)
    }
  }
  return out
}
