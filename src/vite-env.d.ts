// Build-time constants injected by vite.config.ts.
declare const __LENS_BROWSER__: 'chrome' | 'firefox';
