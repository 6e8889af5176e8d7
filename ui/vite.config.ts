import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus per component, each with its own CSS, imported where a template uses it
    // (`v-loading` included): the whole library and its 366 KB of CSS were parsed before the
    // sign-in form could show (issue 22's cold start). No generated .d.ts: templates are
    // checked as before.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    target: 'safari15',
    chunkSizeWarningLimit: 2000,
  },
})
