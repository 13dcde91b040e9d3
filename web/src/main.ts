import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus, { ElMessage } from 'element-plus'
import 'element-plus/dist/index.css'
import './styles/main.css'

import App from './App.vue'
import router from './router'
import { i18n } from './i18n'
import { configureClient } from './api'
import { useAuthStore } from './stores/auth'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router).use(ElementPlus)

configureClient({
  locale: () => i18n.global.locale.value,
  networkErrorMessage: () => i18n.global.t('common.networkError'),
  // A 401 while someone is logged in means the session ended: back to the login page.
  onUnauthorized: (error) => {
    const auth = useAuthStore(pinia)
    if (!auth.isAuthenticated) return
    auth.reset()
    ElMessage.warning(error.message || i18n.global.t('header.sessionEnded'))
    const current = router.currentRoute.value
    if (current.name !== 'login') {
      void router.replace({ name: 'login', query: { redirect: current.fullPath } })
    }
  },
})

app.mount('#app')
