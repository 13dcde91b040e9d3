import { currentLocale } from '@/i18n'

/** Parse an API timestamp; naive ISO strings are UTC by contract. */
function parseTimestamp(value: string): Date {
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value)
  return new Date(hasZone || !value.includes('T') ? value : `${value}Z`)
}

/** A timestamp in the viewer's time zone, formatted for the console language. */
export function formatDateTime(value: string | null | undefined, fallback = '—'): string {
  if (!value) return fallback
  const date = parseTimestamp(value)
  if (Number.isNaN(date.getTime())) return value
  return new Intl.DateTimeFormat(currentLocale.value, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date)
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(currentLocale.value).format(value)
}

/** A file size for people: 5.1 KB, 2.3 MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1
  return `${new Intl.NumberFormat(currentLocale.value, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`
}
