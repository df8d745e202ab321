// Build-time constants injected by vite.config.ts.
declare const __LENS_BROWSER__: 'chrome' | 'firefox';

// Vite's `?url` imports: the file is emitted as an asset of the package and the import is its URL.
declare module '*?url' {
  const url: string;
  export default url;
}
