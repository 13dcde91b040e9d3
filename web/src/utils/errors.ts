import { ElMessage } from 'element-plus'
import { ApiError } from '@/api'
import { i18n } from '@/i18n'

/** The text to show for a failed call: the backend's localised message when there is one. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return i18n.global.t('common.networkError')
}

/** Toast a failed call. 401s are skipped: the client already sends the user to the login page. */
export function notifyError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return
  ElMessage.error(errorMessage(error))
}

/**
 * Per-field reasons of a validation error (422 `detail: [{field, reason}]`), keyed by the
 * field's own name (`body.corp_id` → `corp_id`). Empty for any other error.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  const result: Record<string, string> = {}
  if (!(error instanceof ApiError) || !Array.isArray(error.detail)) return result
  for (const item of error.detail as unknown[]) {
    if (!item || typeof item !== 'object') continue
    const { field, reason } = item as { field?: unknown; reason?: unknown }
    if (typeof field !== 'string' || typeof reason !== 'string') continue
    const name = field.split('.').pop() ?? field
    result[name] = result[name] ? `${result[name]}; ${reason}` : reason
  }
  return result
}
