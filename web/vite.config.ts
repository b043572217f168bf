import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// Built into build/web, which shoebox-server serves (hashed files under /assets/ are cached for a
// year; index.html is not). No inline scripts or styles: the server's CSP forbids them.
export default defineConfig({
  plugins: [svelte({ compilerOptions: { css: 'external' } })],
  build: {
    outDir: process.env.SHOEBOX_WEB_OUT ?? '../build/web',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: { include: ['src/**/*.test.ts'] },
});
