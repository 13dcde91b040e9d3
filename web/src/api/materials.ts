/** The material library (素材库): images, videos, files, links and mini-program cards that
 * messages, Moments and welcomes carry. */
import { request, uploadForm } from './http'
import type { Page, PageQuery } from './types'

const V1 = '/api/v1'

export type MaterialKind = 'image' | 'video' | 'file' | 'link' | 'miniprogram'
export type FileKind = 'image' | 'video' | 'file'
export const MATERIAL_KINDS: readonly MaterialKind[] = ['image', 'video', 'file', 'link', 'miniprogram']

export interface Material {
  id: number
  kind: MaterialKind
  title: string
  description: string
  category: string
  keywords: string
  file_name: string
  content_type: string
  size: number
  sha256: string
  url: string
  appid: string
  page: string
  /** An image material shown as a link's or mini-program card's cover. */
  cover_id: number | null
  /** Where the console shows the material (image, video, or a card's cover); null for files. */
  preview_url: string | null
  use_count: number
  last_used_at: string | null
  archived: boolean
  created_at: string
  updated_at: string
}

/** A material as a message shows its attachments. */
export interface MaterialSummary {
  id: number
  kind: MaterialKind
  title: string
  preview_url: string | null
}

export interface MaterialQuery extends PageQuery {
  /** One kind or several. */
  kind?: MaterialKind | MaterialKind[]
  category?: string
  keyword?: string
  archived?: boolean
}

export interface MaterialFields {
  title?: string
  description?: string
  category?: string
  keywords?: string
}

export interface LinkInput extends MaterialFields {
  title: string
  url: string
  cover_id?: number | null
}

export interface MiniprogramInput extends MaterialFields {
  title: string
  appid: string
  page: string
  cover_id: number
}

export interface MaterialPatch extends MaterialFields {
  url?: string
  appid?: string
  page?: string
  cover_id?: number | null
}

export interface MaterialCategory {
  name: string
  count: number
}

/** WeCom's limits, checked again by the server: images PNG/JPG ≤10 MB, MP4 ≤10 MB, files ≤20 MB. */
export const MATERIAL_LIMITS: Record<FileKind, number> = {
  image: 10 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
}

export const materialFileUrl = (id: number) => `${V1}/materials/${id}/file`

export const listMaterials = (query: MaterialQuery = {}) =>
  request<Page<Material>>('GET', `${V1}/materials`, { query: { ...query } })
export const listMaterialCategories = () => request<MaterialCategory[]>('GET', `${V1}/material-categories`)
export const getMaterial = (id: number) => request<Material>('GET', `${V1}/materials/${id}`)
export function uploadMaterial(kind: FileKind, file: File, fields: MaterialFields = {}): Promise<Material> {
  const form = new FormData()
  form.append('kind', kind)
  for (const [key, value] of Object.entries(fields)) {
    if (value) form.append(key, value)
  }
  form.append('file', file, file.name)
  return uploadForm<Material>(`${V1}/materials`, form)
}
export const createLinkMaterial = (body: LinkInput) => request<Material>('POST', `${V1}/materials/links`, { body })
export const createMiniprogramMaterial = (body: MiniprogramInput) =>
  request<Material>('POST', `${V1}/materials/miniprograms`, { body })
export const updateMaterial = (id: number, body: MaterialPatch) =>
  request<Material>('PATCH', `${V1}/materials/${id}`, { body })
export const archiveMaterial = (id: number) => request<Material>('POST', `${V1}/materials/${id}/archive`)
export const restoreMaterial = (id: number) => request<Material>('POST', `${V1}/materials/${id}/restore`)
