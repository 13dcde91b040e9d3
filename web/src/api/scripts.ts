/** The script library (话术库), sequences (多步话术) and the staff tasks their runs make. */
import { request } from './http'
import type { MaterialSummary } from './materials'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

export interface ScriptVariable {
  /** Written in texts as `{key}`. */
  key: string
  label: string
  zh: string
  en: string
  scope: 'customer' | 'sender'
}

export interface ScriptCategory {
  id: number
  name: string
  parent_id: number | null
  position: number
  /** Scripts in the category and its subcategories. */
  scripts: number
  children: ScriptCategory[]
}

export interface Script {
  id: number
  title: string
  body: string
  category_id: number | null
  keywords: string
  material_ids: number[]
  materials: MaterialSummary[]
  variables: string[]
  use_count: number
  created_at: string
  updated_at: string
}

export interface ScriptInput {
  title: string
  body: string
  category_id: number | null
  keywords: string
  material_ids: number[]
}

export interface ScriptQuery extends PageQuery {
  category_id?: number
  keyword?: string
}

export interface SequenceStep {
  day: number
  script_id: number | null
  script_title?: string | null
  text: string
  material_ids: number[]
}

export interface Sequence {
  id: number
  name: string
  description: string
  steps: SequenceStep[]
  days: number
  runs: number
  created_at: string
  updated_at: string
}

export interface SequenceInput {
  name: string
  description: string
  steps: SequenceStep[]
}

export interface DayProgress {
  day: number
  due_date: string
  tasks: number
  tasks_done: number
  customers: number
  customers_done: number
}

export interface SequenceRun {
  id: number
  sequence_id: number
  sequence_name: string
  segment_id: number | null
  start_date: string
  state: 'active' | 'stopped' | 'finished'
  customers: number
  without_owner: number
  created_at: string
  days: DayProgress[]
}

export interface RunInput {
  segment_id?: number | null
  customer_ids?: number[]
  start_date?: string | null
}

export interface TaskCustomer {
  customer_id: number
  name: string
  text: string
  done: boolean
}

export interface ScriptTask {
  id: number
  run_id: number
  sequence_name: string
  day: number
  userid: string
  due_date: string
  title: string
  text: string
  materials: MaterialSummary[]
  state: 'open' | 'done'
  customers: number
  done_customers: number
  created_at: string
  done_at: string | null
  items: TaskCustomer[] | null
}

export interface ScriptTaskQuery extends PageQuery {
  userid?: string
  run_id?: number
  state?: 'open' | 'done'
  due_date?: string
}

export const listScriptVariables = () => request<ScriptVariable[]>('GET', `${V1}/script-variables`)
export const listScriptCategories = () => request<ScriptCategory[]>('GET', `${V1}/script-categories`)
export const createScriptCategory = (name: string, parentId: number | null = null) =>
  request<ScriptCategory>('POST', `${V1}/script-categories`, { body: { name, parent_id: parentId } })
export const updateScriptCategory = (id: number, body: { name?: string; position?: number }) =>
  request<ScriptCategory>('PATCH', `${V1}/script-categories/${id}`, { body })
export const deleteScriptCategory = (id: number) => request<void>('DELETE', `${V1}/script-categories/${id}`)
export const listScripts = (query: ScriptQuery = {}) =>
  request<Page<Script>>('GET', `${V1}/scripts`, { query: { ...query } })
export const createScript = (body: ScriptInput) => request<Script>('POST', `${V1}/scripts`, { body })
export const updateScript = (id: number, body: Partial<ScriptInput>) =>
  request<Script>('PATCH', `${V1}/scripts/${id}`, { body })
export const deleteScript = (id: number) => request<void>('DELETE', `${V1}/scripts/${id}`)
export const countScriptUse = (id: number) => request<Script>('POST', `${V1}/scripts/${id}/used`)

export const listSequences = () => request<Sequence[]>('GET', `${V1}/sequences`)
export const getSequence = (id: number) => request<Sequence>('GET', `${V1}/sequences/${id}`)
export const createSequence = (body: SequenceInput) => request<Sequence>('POST', `${V1}/sequences`, { body })
export const updateSequence = (id: number, body: Partial<SequenceInput>) =>
  request<Sequence>('PATCH', `${V1}/sequences/${id}`, { body })
export const startSequenceRun = (sequenceId: number, body: RunInput) =>
  request<SequenceRun>('POST', `${V1}/sequences/${sequenceId}/runs`, { body })
export const listSequenceRuns = (sequenceId?: number) =>
  request<SequenceRun[]>('GET', `${V1}/sequence-runs`, { query: { sequence_id: sequenceId } })
export const getSequenceRun = (id: number) => request<SequenceRun>('GET', `${V1}/sequence-runs/${id}`)
export const stopSequenceRun = (id: number) => request<SequenceRun>('POST', `${V1}/sequence-runs/${id}/stop`)
export const listScriptTasks = (query: ScriptTaskQuery = {}) =>
  request<Page<ScriptTask>>('GET', `${V1}/script-tasks`, { query: { ...query } })
export const getScriptTask = (id: number) => request<ScriptTask>('GET', `${V1}/script-tasks/${id}`)
export const markScriptTaskDone = (id: number, customerIds?: number[]) =>
  request<ScriptTask>('POST', `${V1}/script-tasks/${id}/done`, { body: { customer_ids: customerIds ?? null } })
