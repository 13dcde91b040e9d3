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
