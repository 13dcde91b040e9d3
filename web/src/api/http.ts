/**
 * Minimal fetch wrapper shared by every API call.
 *
 * - same-origin cookies (the session cookie is HttpOnly and set by the server)
 * - `Accept-Language` follows the console language
 * - `X-CSRF-Token` on every state-changing request
 * - errors become `ApiError` carrying the backend's `code` / localised `message`
 */

export interface ApiErrorBody {
  code: string
  message: string
  detail?: unknown
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: unknown

  constructor(status: number, body: ApiErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.status = status
    this.code = body.code
    this.detail = body.detail
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
type QueryValue = string | number | boolean | null | undefined
/** Query parameters; an array repeats the parameter (`tag_id=1&tag_id=2`). */
export type Query = Record<string, QueryValue | readonly QueryValue[]>

interface ClientConfig {
  /** Current console language, sent as `Accept-Language`. */
  locale: () => string
  /** Message used when the server could not be reached or answered garbage. */
  networkErrorMessage: () => string
  /** Called for every 401 answer (after the error is built, before it is thrown). */
  onUnauthorized: (error: ApiError) => void
}

const config: ClientConfig = {
  locale: () => 'zh-CN',
  networkErrorMessage: () => 'Network error',
  onUnauthorized: () => {},
}

let csrfToken = ''

export function configureClient(options: Partial<ClientConfig>): void {
  Object.assign(config, options)
}

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? ''
}

function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') params.append(key, String(item))
    }
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

async function readError(response: Response): Promise<ApiErrorBody> {
  try {
    const body = (await response.json()) as Partial<ApiErrorBody>
    if (body && typeof body.message === 'string') {
      return { code: body.code ?? `http_${response.status}`, message: body.message, detail: body.detail }
    }
  } catch {
    // not JSON: fall through
  }
  return { code: `http_${response.status}`, message: config.networkErrorMessage() }
}

async function send(
  method: Method,
  path: string,
  options: { query?: Query; body?: unknown; form?: FormData },
  accept: string,
): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: accept,
    'Accept-Language': config.locale(),
  }
  // A form (multipart) sets its own Content-Type, boundary included.
  if (options.body !== undefined && !options.form) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    })
  } catch {
    throw new ApiError(0, { code: 'network_error', message: config.networkErrorMessage() })
  }

  if (!response.ok) {
    const error = new ApiError(response.status, await readError(response))
    if (response.status === 401) config.onUnauthorized(error)
    throw error
  }
  return response
}

export async function request<T>(
  method: Method,
  path: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const response = await send(method, path, options, 'application/json')
  if (response.status === 204) return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** Send a file as `multipart/form-data` (field `field`); answers the JSON the server returns. */
export async function uploadFile<T>(path: string, file: File | Blob, field = 'file'): Promise<T> {
  const form = new FormData()
  form.append(field, file, file instanceof File ? file.name : 'upload')
  const response = await send('POST', path, { form }, 'application/json')
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** Send a whole form (files and fields) as `multipart/form-data`; answers the JSON returned. */
export async function uploadForm<T>(path: string, form: FormData): Promise<T> {
  const response = await send('POST', path, { form }, 'application/json')
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** A file the server sends for download (e.g. a personal-data export), with its suggested name. */
export async function requestFile(
  method: Method,
  path: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<{ blob: Blob; filename: string | null }> {
  return readFile(await send(method, path, options, '*/*'))
}

/** Send a file as `multipart/form-data` and receive a file back (e.g. a QR code with a logo). */
export async function uploadFileForFile(
  path: string,
  file: File | Blob,
  field = 'file',
  query?: Query,
): Promise<{ blob: Blob; filename: string | null }> {
  const form = new FormData()
  form.append(field, file, file instanceof File ? file.name : 'upload')
  return readFile(await send('POST', path, { form, query }, '*/*'))
}

async function readFile(response: Response): Promise<{ blob: Blob; filename: string | null }> {
  const disposition = response.headers.get('Content-Disposition') ?? ''
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)
  let filename: string | null = null
  if (match) {
    try {
      filename = decodeURIComponent(match[1])
    } catch {
      filename = match[1]
    }
  }
  return { blob: await response.blob(), filename }
}
