import { ElMessage, ElMessageBox } from 'element-plus'
import { handleChurnAlert, type ChurnAlert } from '@/api'
import { i18n } from '@/i18n'
import { notifyError } from '@/utils/errors'

const MAX_NOTE = 300

/**
 * Ask for a note and mark a churn alert handled. Resolves to the updated alert, or null when
 * the person cancelled or the call failed (the error is shown).
 */
export async function promptHandleAlert(alert: ChurnAlert): Promise<ChurnAlert | null> {
  const { t } = i18n.global
  let note: string
  try {
    const answer = await ElMessageBox.prompt(
      t('churn.handlePrompt', { customer: alert.customer_name, staff: alert.staff_name || alert.userid }),
      t('churn.handleTitle'),
      {
        confirmButtonText: t('churn.handle'),
        cancelButtonText: t('common.cancel'),
        inputType: 'textarea',
        inputPlaceholder: t('churn.notePlaceholder'),
        inputValidator: (value: string) =>
          (value ?? '').length <= MAX_NOTE || t('churn.noteTooLong', { max: MAX_NOTE }),
        customClass: 'churn-handle-box',
      },
    )
    note = (answer.value ?? '').trim()
  } catch {
    return null // cancelled
  }
  try {
    const handled = await handleChurnAlert(alert.id, note)
    ElMessage.success(t('churn.handledOk'))
    return handled
  } catch (err) {
    notifyError(err)
    return null
  }
}
