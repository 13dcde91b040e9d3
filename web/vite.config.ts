import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

/** The API docs page (/api/v1/docs) uses Swagger UI from its npm package, never from a CDN. */
function apiDocsAssets(): Plugin {
  const files = ['swagger-ui-bundle.js', 'swagger-ui.css']
  let outDir = ''
  return {
    name: 'siyu-api-docs-assets',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir
    },
    closeBundle() {
      const require = createRequire(import.meta.url)
      const source = dirname(require.resolve('swagger-ui-dist/package.json'))
      const target = join(outDir, 'api-docs')
      mkdirSync(target, { recursive: true })
      for (const file of files) copyFileSync(join(source, file), join(target, file))
    },
  }
}

const backend = 'http://127.0.0.1:8000'
const proxy = {
  '/api': backend,
  '/healthz': backend,
}

export default defineConfig({
  base: '/',
  plugins: [vue(), apiDocsAssets()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: {
    // vue-i18n: composition API only, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: '../src/siyu/web/dist',
    emptyOutDir: true,
    // Element Plus is imported as a whole and lands in the vendor chunk.
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            {
              name: 'vue',
              test: /node_modules[\\/](@vue|vue|vue-router|vue-i18n|@intlify|pinia)[\\/]/,
              priority: 30,
            },
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/, priority: 20 },
            { name: 'vendor', test: /node_modules[\\/]/, priority: 10 },
            // the console's own shared modules (API client, i18n, stores, helpers)
            { name: 'core', test: /[\\/]src[\\/](api|i18n|locales|stores|utils|composables)[\\/]/, priority: 5 },
          ],
        },
      },
    },
  },
})
