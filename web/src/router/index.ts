import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import AppLayout from '@/layout/AppLayout.vue'
import { UPCOMING_DOMAINS } from '@/layout/nav'
import { useAuthStore } from '@/stores/auth'
import { safeRedirect } from '@/utils/redirect'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean
    /** Message key of the page title. */
    titleKey?: string
    /** For the shared "coming soon" page: which domain it stands in for. */
    domain?: string
    /** The permission the page needs; without it the "no access" page is shown. */
    permission?: string
  }
}

const ComingSoonPage = () => import('@/pages/ComingSoonPage.vue')

const upcoming: RouteRecordRaw[] = UPCOMING_DOMAINS.map((domain) => ({
  path: domain,
  name: domain,
  component: ComingSoonPage,
  meta: { titleKey: `nav.${domain}`, domain },
}))

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/pages/LoginPage.vue'),
    meta: { public: true, titleKey: 'login.title' },
  },
  {
    path: '/',
    component: AppLayout,
    children: [
      {
        path: '',
        name: 'dashboard',
        component: () => import('@/pages/DashboardPage.vue'),
        meta: { titleKey: 'nav.dashboard' },
      },
      {
        path: 'customers',
        name: 'customers',
        component: () => import('@/pages/CustomersPage.vue'),
        meta: { titleKey: 'nav.customers', permission: 'customers:read' },
      },
      {
        path: 'customers/import',
        name: 'customer-import',
        component: () => import('@/pages/CustomerImportPage.vue'),
        meta: { titleKey: 'nav.customerImport', permission: 'customers:edit' },
      },
      {
        path: 'customers/:id(\\d+)',
        name: 'customer',
        component: () => import('@/pages/CustomerDetailPage.vue'),
        meta: { titleKey: 'customer.title', permission: 'customers:read' },
      },
      {
        path: 'tags',
        name: 'tags',
        component: () => import('@/pages/TagsPage.vue'),
        meta: { titleKey: 'nav.tags', permission: 'customers:read' },
      },
      {
        path: 'churn-alerts',
        name: 'churn',
        component: () => import('@/pages/ChurnAlertsPage.vue'),
        meta: { titleKey: 'nav.churn', permission: 'customers:read' },
      },
      {
        path: 'add-friend',
        name: 'addFriend',
        component: () => import('@/pages/AddFriendListsPage.vue'),
        meta: { titleKey: 'nav.addFriend', permission: 'add_friend:read' },
      },
      {
        path: 'add-friend/new',
        name: 'addFriendNew',
        component: () => import('@/pages/AddFriendImportPage.vue'),
        meta: { titleKey: 'nav.addFriendNew', permission: 'add_friend:manage' },
      },
      {
        path: 'add-friend/today',
        name: 'addFriendToday',
        component: () => import('@/pages/AddFriendTodayPage.vue'),
        meta: { titleKey: 'nav.addFriendToday', permission: 'add_friend:work' },
      },
      {
        path: 'add-friend/:id(\\d+)',
        name: 'addFriendList',
        component: () => import('@/pages/AddFriendListPage.vue'),
        meta: { titleKey: 'nav.addFriendList', permission: 'add_friend:read' },
      },
      {
        path: 'transfers',
        name: 'transfers',
        component: () => import('@/pages/TransfersPage.vue'),
        meta: { titleKey: 'nav.transfers', permission: 'customers:read' },
      },
      {
        path: 'stores',
        name: 'stores',
        component: () => import('@/pages/StoresPage.vue'),
        meta: { titleKey: 'nav.stores', permission: 'stores:read' },
      },
      {
        path: 'codes',
        name: 'codes',
        component: () => import('@/pages/ChannelCodesPage.vue'),
        meta: { titleKey: 'nav.codes', permission: 'codes:read' },
      },
      {
        path: 'codes/:id(\\d+)',
        name: 'code',
        component: () => import('@/pages/ChannelCodeDetailPage.vue'),
        meta: { titleKey: 'codes.detailTitle', permission: 'codes:read' },
      },
      {
        path: 'code-results',
        name: 'codeResults',
        component: () => import('@/pages/ChannelResultsPage.vue'),
        meta: { titleKey: 'nav.codeResults', permission: 'codes:read' },
      },
      {
        path: 'welcomes',
        name: 'welcomes',
        component: () => import('@/pages/WelcomesPage.vue'),
        meta: { titleKey: 'nav.welcomes', permission: 'codes:read' },
      },
      {
        path: 'keyword-rules',
        name: 'keywordRules',
        component: () => import('@/pages/KeywordRulesPage.vue'),
        meta: { titleKey: 'nav.keywordRules', permission: 'autotag:read' },
      },
      {
        path: 'groups',
        name: 'groups',
        component: () => import('@/pages/GroupsPage.vue'),
        meta: { titleKey: 'nav.groups', permission: 'groups:read' },
      },
      {
        path: 'groups/:id(\\d+)',
        name: 'group',
        component: () => import('@/pages/GroupDetailPage.vue'),
        meta: { titleKey: 'groups.detailTitle', permission: 'groups:read' },
      },
      {
        path: 'group-codes',
        name: 'groupCodes',
        component: () => import('@/pages/GroupCodesPage.vue'),
        meta: { titleKey: 'nav.groupCodes', permission: 'groups:read' },
      },
      {
        path: 'materials',
        name: 'materials',
        component: () => import('@/pages/MaterialsPage.vue'),
        meta: { titleKey: 'nav.materials', permission: 'materials:read' },
      },
      {
        path: 'scripts',
        name: 'scripts',
        component: () => import('@/pages/ScriptsPage.vue'),
        meta: { titleKey: 'nav.scripts', permission: 'scripts:read' },
      },
      {
        path: 'sequences',
        name: 'sequences',
        component: () => import('@/pages/SequencesPage.vue'),
        meta: { titleKey: 'nav.sequences', permission: 'scripts:read' },
      },
      {
        path: 'segments',
        name: 'segments',
        component: () => import('@/pages/SegmentsPage.vue'),
        meta: { titleKey: 'nav.segments', permission: 'segments:read' },
      },
      {
        path: 'segments/new',
        name: 'segmentNew',
        component: () => import('@/pages/SegmentEditPage.vue'),
        meta: { titleKey: 'segments.form.newTitle', permission: 'segments:manage' },
      },
      {
        path: 'segments/:id(\\d+)',
        name: 'segment',
        component: () => import('@/pages/SegmentDetailPage.vue'),
        meta: { titleKey: 'segments.detail.title', permission: 'segments:read' },
      },
      {
        path: 'segments/:id(\\d+)/edit',
        name: 'segmentEdit',
        component: () => import('@/pages/SegmentEditPage.vue'),
        meta: { titleKey: 'segments.form.editTitle', permission: 'segments:manage' },
      },
      {
        path: 'moments',
        name: 'moments',
        component: () => import('@/pages/MomentsPage.vue'),
        meta: { titleKey: 'nav.moments', permission: 'moments:read' },
      },
      {
        path: 'moments/:id(\\d+)',
        name: 'moment',
        component: () => import('@/pages/MomentDetailPage.vue'),
        meta: { titleKey: 'moments.detail.title', permission: 'moments:read' },
      },
      {
        path: 'broadcasts',
        name: 'broadcasts',
        component: () => import('@/pages/BroadcastsPage.vue'),
        meta: { titleKey: 'nav.broadcasts', permission: 'broadcasts:read' },
      },
      {
        path: 'broadcasts/new',
        name: 'broadcastNew',
        component: () => import('@/pages/BroadcastEditPage.vue'),
        meta: { titleKey: 'broadcasts.form.title', permission: 'broadcasts:manage' },
      },
      {
        path: 'broadcasts/:id(\\d+)',
        name: 'broadcast',
        component: () => import('@/pages/BroadcastDetailPage.vue'),
        meta: { titleKey: 'broadcasts.detail.title', permission: 'broadcasts:read' },
      },
      {
        path: 'playbooks',
        name: 'playbooks',
        component: () => import('@/pages/PlaybooksPage.vue'),
        meta: { titleKey: 'nav.playbooks', permission: 'broadcasts:read' },
      },
      {
        path: 'invitations',
        name: 'invitations',
        component: () => import('@/pages/InvitationsPage.vue'),
        meta: { titleKey: 'nav.invitations', permission: 'broadcasts:read' },
      },
      {
        path: 'invitations/:id(\\d+)',
        name: 'invitation',
        component: () => import('@/pages/InvitationDetailPage.vue'),
        meta: { titleKey: 'invitations.detail.title', permission: 'broadcasts:read' },
      },
      {
        path: 'behaviour-rules',
        name: 'behaviourRules',
        component: () => import('@/pages/BehaviourRulesPage.vue'),
        meta: { titleKey: 'nav.behaviourRules', permission: 'segments:read' },
      },
      {
        path: 'behaviour-rules/new',
        name: 'behaviourRuleNew',
        component: () => import('@/pages/BehaviourRuleEditPage.vue'),
        meta: { titleKey: 'behaviour.form.newTitle', permission: 'segments:manage' },
      },
      {
        path: 'behaviour-rules/:id(\\d+)/edit',
        name: 'behaviourRuleEdit',
        component: () => import('@/pages/BehaviourRuleEditPage.vue'),
        meta: { titleKey: 'behaviour.form.editTitle', permission: 'segments:manage' },
      },
      ...upcoming,
      { path: 'settings', redirect: { name: 'users' } },
      {
        path: 'settings/users',
        name: 'users',
        component: () => import('@/pages/UsersPage.vue'),
        meta: { titleKey: 'nav.users' },
      },
      {
        path: 'settings/tokens',
        name: 'tokens',
        component: () => import('@/pages/ApiTokensPage.vue'),
        meta: { titleKey: 'nav.tokens' },
      },
      {
        path: 'settings/staff',
        name: 'staff',
        component: () => import('@/pages/StaffPage.vue'),
        meta: { titleKey: 'nav.staff' },
      },
      {
        path: 'settings/wecom',
        name: 'wecom',
        component: () => import('@/pages/WeComPage.vue'),
        meta: { titleKey: 'nav.wecom' },
      },
      {
        path: 'settings/audit',
        name: 'audit',
        component: () => import('@/pages/AuditLogPage.vue'),
        meta: { titleKey: 'nav.audit' },
      },
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('@/pages/ForbiddenPage.vue'),
        meta: { titleKey: 'forbidden.title' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/pages/NotFoundPage.vue'),
        meta: { titleKey: 'notFound.title' },
      },
    ],
  },
]

const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
})

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  const loggedIn = await auth.ensureSession()
  if (to.meta.public) {
    return to.name === 'login' && loggedIn ? safeRedirect(to.query.redirect) : true
  }
  if (!loggedIn) {
    return { name: 'login', query: { redirect: to.fullPath } }
  }
  if (to.meta.permission && !auth.can(to.meta.permission)) {
    return { name: 'forbidden', query: { from: to.fullPath } }
  }
  return true
})

export default router
