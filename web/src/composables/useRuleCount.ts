import { computed, onBeforeUnmount, provide, ref, watch, type Ref } from 'vue'
import { ApiError, countSegmentRule, type SegmentCount } from '@/api'
import { RULE_ERRORS } from '@/composables/useRulePickers'
import { errorMessage } from '@/utils/errors'
import { buildRule, nodeForPath, type GroupNode, type RuleNode } from '@/utils/segments'

/** Counting waits this long after the last edit, so typing does not ask at every key. */
const DEBOUNCE_MS = 300

/**
 * The rule builder's live count: who the rule in `root` selects now (POST /segments/count),
 * asked again shortly after every edit, with the API's complaints placed on the rows they are
 * about (provided to RuleGroup / ConditionRow). `onEdit` runs at every edit of the rule.
 */
export function useRuleCount(root: Ref<GroupNode>, onEdit?: () => void) {
  /** The API's complaints, by the row or group they are about (shown next to it). */
  const rowErrors = ref(new Map<number, string>())
  provide(RULE_ERRORS, rowErrors)

  const built = computed(() => buildRule(root.value))
  const count = ref<SegmentCount | null>(null)
  const counting = ref(false)
  const countError = ref('')
  let timer: number | undefined
  let latest = 0

  /** The rows an API error (422) is about, by their key. */
  function ruleErrors(err: unknown, paths: Map<string, number>): Map<number, string> {
    const found = new Map<number, string>()
    if (!(err instanceof ApiError) || err.status !== 422) return found
    const detail = (err.detail ?? {}) as { path?: unknown; field?: unknown; ids?: unknown }
    if (err.code === 'segment_bad_rule' && typeof detail.path === 'string') {
      const key = nodeForPath(paths, detail.path)
      if (key !== null) found.set(key, err.message)
    } else if (err.code === 'segment_unknown_references' && Array.isArray(detail.ids)) {
      const missing = new Set(detail.ids as number[])
      const walk = (node: RuleNode) => {
        if (node.kind === 'group') node.items.forEach(walk)
        else if (node.field === detail.field) {
          const values = Array.isArray(node.value) ? node.value : [node.value]
          if (values.some((v) => missing.has(v as number))) found.set(node.key, err.message)
        }
      }
      walk(root.value)
    }
    return found
  }

  /** Put an API error of a call about the rule on its rows; true when it was about the rule. */
  function showRuleError(err: unknown): boolean {
    rowErrors.value = ruleErrors(err, built.value.paths)
    return rowErrors.value.size > 0
  }

  async function recount(): Promise<void> {
    const call = ++latest
    const { rule, paths } = built.value
    if (!rule) {
      count.value = null
      countError.value = ''
      rowErrors.value = new Map()
      counting.value = false
      return
    }
    counting.value = true
    try {
      const result = await countSegmentRule(rule)
      if (call !== latest) return
      count.value = result
      countError.value = ''
      rowErrors.value = new Map()
    } catch (err) {
      if (call !== latest) return
      count.value = null
      rowErrors.value = ruleErrors(err, paths)
      countError.value = errorMessage(err)
    } finally {
      if (call === latest) counting.value = false
    }
  }

  function scheduleCount(): void {
    window.clearTimeout(timer)
    counting.value = true
    timer = window.setTimeout(() => void recount(), DEBOUNCE_MS)
  }

  watch(
    root,
    () => {
      onEdit?.()
      scheduleCount()
    },
    { deep: true },
  )

  const share = computed(() => {
    const c = count.value
    if (!c || !c.universe) return ''
    return `${((c.count / c.universe) * 100).toFixed(1)}%`
  })

  onBeforeUnmount(() => window.clearTimeout(timer))

  return { built, count, counting, countError, share, rowErrors, showRuleError }
}
