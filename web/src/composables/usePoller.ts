import { onBeforeUnmount } from 'vue'
import { ApiError } from '@/api'

/**
 * Call `step` every `ms` while it answers true; stops on unmount. A failed step keeps polling
 * (a passing network hiccup) unless the session or the permission is gone.
 */
export function usePoller(step: () => Promise<boolean>, ms: number) {
  let timer: number | undefined
  let stopped = false
  let generation = 0

  function stop(): void {
    generation += 1
    if (timer !== undefined) window.clearTimeout(timer)
    timer = undefined
  }

  function start(immediately = false): void {
    stop()
    if (stopped) return
    const mine = generation
    const tick = async (): Promise<void> => {
      timer = undefined
      let again = true
      try {
        again = await step()
      } catch (err) {
        again = !(err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404))
      }
      if (again && !stopped && mine === generation) timer = window.setTimeout(() => void tick(), ms)
    }
    if (immediately) void tick()
    else timer = window.setTimeout(() => void tick(), ms)
  }

  onBeforeUnmount(() => {
    stopped = true
    stop()
  })

  return { start, stop }
}
