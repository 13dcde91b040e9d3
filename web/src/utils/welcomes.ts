import { i18n } from '@/i18n'
import { WELCOME_REASONS } from '@/utils/codes'

/** A welcome's reason in plain words: a known reason code, or WeCom's own message as it came. */
export function welcomeReason(reason: string, errcode: number | null): string {
  const { t } = i18n.global
  if ((WELCOME_REASONS as readonly string[]).includes(reason)) {
    const text = t(`welcomes.reasons.${reason}`)
    return errcode ? `${text}（${errcode}）` : text
  }
  return errcode ? t('welcomes.reasons.wecom', { errcode, message: reason }) : reason
}
