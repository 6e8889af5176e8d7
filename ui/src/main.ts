import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { createRouter, createWebHashHistory } from 'vue-router'
// Element Plus's components come in where they are used (vite.config.ts); its base styles and
// the message box's, which is opened from code, are the only ones every page needs.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message-box/style/css'
import App from './App.vue'
import { i18n } from './i18n'
import './style.css'
import { watchBusy } from './timing'

watchBusy()

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/cases' },
    { path: '/setup', component: () => import('./views/SetupView.vue') },
    { path: '/cases', component: () => import('./views/CasesView.vue') },
    { path: '/cases/new', component: () => import('./views/IntakeView.vue') },
    { path: '/cases/:id', component: () => import('./views/CaseView.vue'), props: true },
    { path: '/cases/:id/letter', component: () => import('./views/LetterView.vue'), props: true },
    { path: '/desk', component: () => import('./views/DeskView.vue') },
    { path: '/dashboard', component: () => import('./views/DashboardView.vue') },
    { path: '/dashboard/print', component: () => import('./views/DashboardPrintView.vue') },
    { path: '/meetings', component: () => import('./views/MeetingsView.vue') },
    { path: '/meetings/:id', component: () => import('./views/MeetingView.vue'), props: true },
    { path: '/meetings/:id/minutes', component: () => import('./views/MinutesView.vue'), props: true },
    { path: '/campaigns', component: () => import('./views/CampaignsView.vue') },
    { path: '/campaigns/:id', component: () => import('./views/CampaignView.vue'), props: true },
    { path: '/settings', component: () => import('./views/SettingsView.vue') },
  ],
})

createApp(App).use(createPinia()).use(router).use(i18n).mount('#app')
