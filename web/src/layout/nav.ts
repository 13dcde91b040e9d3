import type { Component } from 'vue'
import {
  AlarmClock,
  ChatDotRound,
  ChatLineSquare,
  CollectionTag,
  Checked,
  Phone,
  Connection,
  DataAnalysis,
  DataBoard,
  Document,
  Guide,
  Key,
  MagicStick,
  OfficeBuilding,
  Picture,
  PriceTag,
  Promotion,
  Shop,
  Switch,
  Grid,
  TrendCharts,
  Tickets,
  User,
  UserFilled,
  Warning,
  Filter,
  Files,
  ChatSquare,
  Calendar,
  Share,
} from '@element-plus/icons-vue'

/** Business domains that share the "coming in a later release" page until they are built. */
export const UPCOMING_DOMAINS = [
  'journeys',
  'orders',
  'analytics',
] as const
export type UpcomingDomain = (typeof UPCOMING_DOMAINS)[number]

export interface NavItem {
  /** Route name; also the `nav.<name>` message key and the `nav-<name>` test id. */
  name: string
  path: string
  icon: Component
  /** Shown only to users holding this permission (the page's API needs it). */
  permission?: string
}

export const mainNav: NavItem[] = [
  { name: 'dashboard', path: '/', icon: DataBoard },
  { name: 'customers', path: '/customers', icon: User, permission: 'customers:read' },
  { name: 'tags', path: '/tags', icon: PriceTag, permission: 'customers:read' },
  { name: 'churn', path: '/churn-alerts', icon: Warning, permission: 'customers:read' },
  { name: 'transfers', path: '/transfers', icon: Switch, permission: 'customers:read' },
  { name: 'stores', path: '/stores', icon: Shop, permission: 'stores:read' },
  { name: 'groups', path: '/groups', icon: ChatDotRound, permission: 'groups:read' },
]

/** Domains still to come, listed after the acquisition group. */
export const upcomingNav: NavItem[] = [
  { name: 'journeys', path: '/journeys', icon: Guide },
  { name: 'orders', path: '/orders', icon: Tickets },
  { name: 'analytics', path: '/analytics', icon: DataAnalysis },
]

/** 获客 / Acquisition: channel codes, what they bring in, and the welcomes new friends get. */
export const acquisitionNav: NavItem[] = [
  { name: 'codes', path: '/codes', icon: Grid, permission: 'codes:read' },
  { name: 'groupCodes', path: '/group-codes', icon: Grid, permission: 'groups:read' },
  { name: 'addFriend', path: '/add-friend', icon: Phone, permission: 'add_friend:read' },
  { name: 'addFriendToday', path: '/add-friend/today', icon: Checked, permission: 'add_friend:work' },
  { name: 'codeResults', path: '/code-results', icon: TrendCharts, permission: 'codes:read' },
  { name: 'welcomes', path: '/welcomes', icon: ChatLineSquare, permission: 'codes:read' },
]

/** 人群与标签 / Audiences: who customers are, chosen by rules, and the rules that tag them from
 * what they say and do. */
export const audienceNav: NavItem[] = [
  { name: 'segments', path: '/segments', icon: Filter, permission: 'segments:read' },
  { name: 'keywordRules', path: '/keyword-rules', icon: CollectionTag, permission: 'autotag:read' },
  { name: 'behaviourRules', path: '/behaviour-rules', icon: MagicStick, permission: 'segments:read' },
]

/** 触达 / Reach: what is sent to customers and groups, and invitations into groups. */
export const reachNav: NavItem[] = [
  { name: 'broadcasts', path: '/broadcasts', icon: Promotion, permission: 'broadcasts:read' },
  { name: 'moments', path: '/moments', icon: Picture, permission: 'moments:read' },
  { name: 'playbooks', path: '/playbooks', icon: AlarmClock, permission: 'broadcasts:read' },
  { name: 'invitations', path: '/invitations', icon: Share, permission: 'broadcasts:read' },
]

/** 内容 / Content: the material library, scripts and day-by-day sequences that messages,
 * Moments and staff use. */
export const contentNav: NavItem[] = [
  { name: 'materials', path: '/materials', icon: Files, permission: 'materials:read' },
  { name: 'scripts', path: '/scripts', icon: ChatSquare, permission: 'scripts:read' },
  { name: 'sequences', path: '/sequences', icon: Calendar, permission: 'scripts:read' },
]

export const settingsNav: NavItem[] = [
  { name: 'users', path: '/settings/users', icon: UserFilled, permission: 'users:read' },
  { name: 'tokens', path: '/settings/tokens', icon: Key, permission: 'tokens:manage' },
  { name: 'staff', path: '/settings/staff', icon: OfficeBuilding, permission: 'staff:read' },
  { name: 'wecom', path: '/settings/wecom', icon: Connection, permission: 'wecom:manage' },
  { name: 'audit', path: '/settings/audit', icon: Document, permission: 'audit:read' },
]
