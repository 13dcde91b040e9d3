import type { AddFriendCounts, AddFriendListState, AddFriendTask } from '@/api'

type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'info'

/** Tasks that ended with the customer a friend, whoever added them. */
export function addedOf(counts: AddFriendCounts): number {
  return counts.done + counts.done_by_other
}

export function percentAdded(counts: AddFriendCounts): number {
  return counts.total ? Math.round((addedOf(counts) / counts.total) * 100) : 0
}

export function listStateType(state: AddFriendListState): TagType {
  return (
    { draft: 'warning', importing: 'primary', active: 'success', cancelled: 'info', failed: 'danger' } as const
  )[state]
}

/** The progress bucket of a task: `done_by_other` when another account added the customer. */
export function taskBucket(task: AddFriendTask): string {
  return task.state === 'done' && task.by_other ? 'done_by_other' : task.state
}

export function taskStateType(task: AddFriendTask): TagType {
  const bucket = taskBucket(task)
  if (bucket === 'done') return 'success'
  if (bucket === 'done_by_other') return 'success'
  if (bucket === 'sent') return 'primary'
  if (bucket === 'pending') return 'warning'
  return 'info'
}

/** Placeholders of the greeting (验证语), for the hint and the example. */
export const GREETING_PLACEHOLDERS = { a: '{品牌}', b: '{员工}', c: '{客户}' }

export function renderGreeting(template: string, values: { brand: string; staff: string; name: string }): string {
  const keys: Record<string, keyof typeof values> = {
    品牌: 'brand',
    brand: 'brand',
    员工: 'staff',
    staff: 'staff',
    客户: 'name',
    name: 'name',
  }
  return template.replace(/\{([^{}]{1,10})\}/g, (whole, key: string) => {
    const found = keys[key.trim()]
    return found ? values[found] : whole
  })
}
