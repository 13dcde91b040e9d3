import { onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { listScriptVariables, type ScriptVariable } from '@/api'

/** The script variables, and a text with each `{key}` shown as its label: 【客户昵称】. */
export function useScriptVariables() {
  const { locale } = useI18n()
  const variables = ref<ScriptVariable[]>([])

  onMounted(async () => {
    try {
      variables.value = await listScriptVariables()
    } catch {
      variables.value = []
    }
  })

  function labelled(text: string): string {
    return text.replace(/\{([A-Za-z_][A-Za-z0-9_]{0,39})\}/g, (whole, key: string) => {
      const found = variables.value.find((v) => v.key === key)
      if (!found) return whole
      return `【${locale.value === 'zh-CN' ? found.zh : found.en}】`
    })
  }

  return { variables, labelled }
}
