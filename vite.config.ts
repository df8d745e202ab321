// One source tree, two builds: `vite build --mode chrome` -> dist/chrome (MV3 service worker),
// `vite build --mode firefox` -> dist/firefox (MV3 event page). The manifest's per-browser differences are
// applied here. LENS_BUNDLE_MODEL=<registry id>=<folder> copies a local model folder into the package
// (models/<id>/) for offline deployment; LENS_OUT_DIR overrides the output folder; LENS_REGISTRY builds with
// another registry file than models/registry.json (the end-to-end tests' fake hub, whose files have other
// sha256s than the real ones; never for a release).
// The content script is built apart from crxjs, as one self-contained file (see contentScripts below).
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import { copyFileSync, cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type BuildOptions, type Plugin } from 'vite';
import { BUILT_ONNX_PATH, checkModelFolder, isCheckpointFile, modelFolderFiles } from './src/shared/model-files.js';
import { SESSION_WORKER_PATH } from './src/workers/session-protocol.js';

type Browser = 'chrome' | 'firefox';
type OutputOptions = Exclude<NonNullable<NonNullable<BuildOptions['rollupOptions']>['output']>, readonly unknown[]>;

const GECKO_ID = 'lens@mobilebert-lens.dev';

interface ContentScript {
  js: string[];
  [key: string]: unknown;
}

/** The manifest's content scripts, as manifest.json lists them (source paths). */
function sourceContentScripts(): ContentScript[] {
  return (JSON.parse(readFileSync(resolve(import.meta.dirname, 'manifest.json'), 'utf8')) as { content_scripts?: ContentScript[] }).content_scripts ?? [];
}

/** Where a content script's source (src/content/index.ts) is built to in the package (src/content/index.js). */
const builtScriptPath = (source: string) => source.replace(/\.ts$/, '.js');

function manifestFor(browser: Browser): ManifestV3Export {
  const source = JSON.parse(readFileSync(resolve(import.meta.dirname, 'manifest.json'), 'utf8'));
  // not given to crxjs: it would load them through web-accessible module chunks (see contentScripts)
  delete source.content_scripts;
  if (browser === 'firefox') {
    source.background = { scripts: [source.background.service_worker] };
    // the side panel is Firefox's sidebar: the same page, opened by the built-in _execute_sidebar_action command
    // (Chrome's "open-side-panel" command is handled by the background: src/background/side-panel.ts)
    source.sidebar_action = { default_panel: source.side_panel.default_path, default_title: 'MobileBERT Lens', default_icon: source.action.default_icon };
    delete source.side_panel;
    source.permissions = source.permissions.filter((p: string) => p !== 'sidePanel');
    const { 'open-side-panel': openPanel, ...commands } = source.commands;
    source.commands = { ...commands, _execute_sidebar_action: openPanel };
    source.browser_specific_settings = {
      gecko: { id: GECKO_ID, strict_min_version: '140.0', data_collection_permissions: { required: ['none'] } },
      gecko_android: { strict_min_version: '142.0' },
    };
  } else {
    // Chrome runs the models in an offscreen document (src/offscreen/) with WebAssembly threads, which need the
    // extension's pages to be cross-origin isolated. Firefox has no chrome.offscreen (and would flag the
    // unknown permission), and its extension pages cannot be isolated: it keeps one thread in the background.
    source.permissions = [...source.permissions, 'offscreen'];
    source.cross_origin_embedder_policy = { value: 'require-corp' };
    source.cross_origin_opener_policy = { value: 'same-origin' };
  }
  return source;
}

/** Builds one source entry on its own into outDir, beside the extension's bundle (no chunk shared with it). */
async function buildApart(outDir: string, define: Record<string, string>, alias: Array<{ find: RegExp; replacement: string }>, source: string, output: OutputOptions, chunkSizeWarningLimit?: number): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    define,
    resolve: { alias },
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      chunkSizeWarningLimit,
      rollupOptions: { input: resolve(import.meta.dirname, source), output },
    },
  });
}

/**
 * Builds each content script as one self-contained classic script (an IIFE with its imports inlined) and lists
 * it in the written manifest. crxjs would instead inject a small loader that import()s the script's ES module
 * chunks, which must then be web_accessible_resources: any page could fetch them at chrome-extension://<id>/…
 * and so learn that Lens is installed. Built this way the package has no web-accessible file at all (checked
 * here, so that no later change brings one back unnoticed), and the background's programmatic injection
 * (src/background/tabs.ts, by the manifest's paths) injects the same single file.
 */
function contentScripts(outDir: string, browser: Browser, define: Record<string, string>, alias: Array<{ find: RegExp; replacement: string }>): Plugin {
  return {
    name: 'lens-content-scripts',
    apply: 'build',
    async closeBundle() {
      const scripts = sourceContentScripts();
      for (const source of new Set(scripts.flatMap((c) => c.js))) {
        // the module's exports (used by unit tests) are not needed in the page
        await buildApart(outDir, define, alias, source, { format: 'iife', entryFileNames: builtScriptPath(source), exports: 'none' });
      }
      const manifestPath = join(outDir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      manifest.content_scripts = scripts.map((c) => ({ ...c, js: c.js.map(builtScriptPath) }));
      const exposed = (manifest.web_accessible_resources as unknown[] | undefined) ?? [];
      if (exposed.length > 0) throw new Error(`the ${browser} manifest lists web_accessible_resources (${JSON.stringify(exposed)}): a page could fetch them and detect that Lens is installed`);
      delete manifest.web_accessible_resources;
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}

/**
 * Firefox only: the session worker (src/workers/session-worker.ts; Firefox runs the model in dedicated Web Workers,
 * see src/background/session-workers.ts) as an ES module at a fixed path, built apart like the content scripts: it
 * shares no chunk with extension code (webextension-polyfill throws in a worker), and Chrome's package does not get
 * it. Its onnxruntime-web finds the same .wasm file in assets/ (same content, same name).
 */
function sessionWorker(outDir: string, browser: Browser, define: Record<string, string>, alias: Array<{ find: RegExp; replacement: string }>): Plugin {
  return {
    name: 'lens-session-worker',
    apply: 'build',
    async closeBundle() {
      if (browser !== 'firefox') return;
      // onnxruntime-web in a chunk of its own, as in the extension's build (assets/ort-*.js)
      await buildApart(
        outDir,
        define,
        alias,
        'src/workers/session-worker.ts',
        {
          format: 'es',
          entryFileNames: SESSION_WORKER_PATH,
          chunkFileNames: 'assets/[name]-[hash].js',
          assetFileNames: 'assets/[name]-[hash][extname]',
          codeSplitting: { groups: [{ name: 'ort', test: /[\\/]node_modules[\\/]onnxruntime-web[\\/]/ }] },
        },
        20000,
      );
    },
  };
}

/**
 * Copies LENS_BUNDLE_MODEL folders into the build and lists them in models/bundled.json. A folder whose weights
 * are a checkpoint (model.safetensors or pytorch_model.bin) gets its ONNX file built here, in Node, so the package ships ONNX only: the
 * extension then loads it like any bundled model, with no build step on the user's device.
 */
function bundleModels(outDir: string): Plugin {
  const spec = process.env.LENS_BUNDLE_MODEL ?? '';
  return {
    name: 'lens-bundle-models',
    apply: 'build',
    async closeBundle() {
      const bundled: Array<{ id: string; files: Array<{ path: string; size: number }> }> = [];
      for (const item of spec.split(',').filter(Boolean)) {
        const eq = item.indexOf('=');
        if (eq < 1) throw new Error(`LENS_BUNDLE_MODEL: expected <registry id>=<folder>, got "${item}"`);
        const id = item.slice(0, eq);
        const dir = resolve(item.slice(eq + 1));
        if (!existsSync(join(dir, 'config.json'))) throw new Error(`LENS_BUNDLE_MODEL: ${dir} is not a model folder (no config.json)`);
        const found: string[] = [];
        const walk = (d: string) => {
          for (const name of readdirSync(d)) {
            const p = join(d, name);
            if (statSync(p).isDirectory()) walk(p);
            else found.push(relative(dir, p).split('\\').join('/'));
          }
        };
        walk(dir);
        const weights = checkModelFolder(found);
        const target = join(outDir, 'models', id);
        const files: Array<{ path: string; size: number }> = [];
        // its config, tokenizer and ONNX files; a checkpoint is built into ONNX here, so the package ships ONNX only
        for (const path of modelFolderFiles(found).filter((p) => !isCheckpointFile(p))) {
          mkdirSync(dirname(join(target, path)), { recursive: true });
          copyFileSync(join(dir, path), join(target, path));
          files.push({ path, size: statSync(join(dir, path)).size });
        }
        if (weights.kind === 'checkpoint') {
          // loaded only for such a folder: an ordinary build does not need the graph builder in its config
          const { buildOnnxFromCheckpointSync } = await import('./src/engine/graph/index.js');
          const { readCheckpoint } = await import('./src/engine/checkpoint.js');
          const config: unknown = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
          const name = `${id} (${dir})`;
          const checkpoint = await readCheckpoint(async (path) => (found.includes(path) ? new Uint8Array(readFileSync(join(dir, path))) : undefined), name);
          if (!checkpoint) throw new Error(`LENS_BUNDLE_MODEL: ${dir} has no checkpoint Lens reads`);
          const built = buildOnnxFromCheckpointSync(config, checkpoint.tensors, name);
          mkdirSync(dirname(join(target, BUILT_ONNX_PATH)), { recursive: true });
          writeFileSync(join(target, BUILT_ONNX_PATH), built.bytes);
          files.push({ path: BUILT_ONNX_PATH, size: built.bytes.length });
        }
        bundled.push({ id, files });
      }
      mkdirSync(join(outDir, 'models'), { recursive: true });
      writeFileSync(join(outDir, 'models', 'bundled.json'), JSON.stringify({ models: bundled }, null, 2));
    },
  };
}

/**
 * pdf.js's data files for the Lens reader (character maps, the standard fonts, its image decoders' wasm, colour
 * profiles), copied into the package under pdfjs/: the reader loads nothing from outside the extension.
 */
function pdfjsAssets(outDir: string): Plugin {
  return {
    name: 'lens-pdfjs-assets',
    apply: 'build',
    closeBundle() {
      const from = join(dirname(fileURLToPath(import.meta.resolve('pdfjs-dist/package.json'))));
      for (const dir of ['cmaps', 'standard_fonts', 'wasm', 'iccs']) cpSync(join(from, dir), join(outDir, 'pdfjs', dir), { recursive: true });
    },
  };
}

/** LENS_REGISTRY=<file>: that registry instead of models/registry.json (checked by the same parseRegistry at run time). */
function registryAlias(): Array<{ find: RegExp; replacement: string }> {
  const file = process.env.LENS_REGISTRY;
  if (!file) return [];
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`LENS_REGISTRY: ${path} does not exist`);
  return [{ find: /^(?:\.\.\/)+models\/registry\.json$/, replacement: path }];
}

export default defineConfig(({ mode }) => {
  const browser: Browser = mode === 'firefox' ? 'firefox' : 'chrome';
  // LENS_OUT_DIR: build elsewhere (e.g. a variant with a bundled model) without touching dist/
  const outDir = resolve(process.env.LENS_OUT_DIR ?? resolve(import.meta.dirname, 'dist', browser));
  const alias = [
    // the wasm-only ORT bundle (one 14 MB .wasm instead of the 28 MB WebGPU build); Node keeps the default entry
    { find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' },
    ...registryAlias(),
  ];
  const define = { __LENS_BROWSER__: JSON.stringify(browser) };
  return {
    publicDir: 'extension',
    resolve: { alias },
    define,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      chunkSizeWarningLimit: 20000,
      rollupOptions: {
        input: {
          options: 'src/options/options.html',
          // the Lens reader for PDFs (opened by the background in the PDF's tab, so not in the manifest)
          reader: 'src/reader/reader.html',
          // Chrome's inference document (created by the service worker, so not in the manifest)
          ...(browser === 'chrome' ? { offscreen: 'src/offscreen/offscreen.html' } : {}),
          // LENS_BENCH=1: the benchmark pages (bench/browser/) as extra extension pages; never in a release build
          ...(process.env.LENS_BENCH === '1' ? { bench: 'bench/browser/bench.html', tjs: 'bench/browser/tjs.html' } : {}),
        },
        // onnxruntime-web in a chunk of its own: its WebAssembly threads are Workers that load the very chunk ORT
        // is in (import.meta.url), which must run nothing else: not extension code (webextension-polyfill throws
        // in a Worker), and not a second ORT (the bench build's transformers.js brings its own copy; two copies in
        // one chunk both answer the thread's messages and session creation never finishes).
        output: {
          codeSplitting: {
            groups: [
              // the WebGPU build (JSPI; src/offscreen/webgpu.ts imports it only where a model runs on WebGPU): its own
              // chunk and its own .wasm, never in the WebAssembly chunk every context loads (first group wins)
              { name: 'ort-webgpu', test: /^(?:(?!node_modules).)*[\\/]node_modules[\\/]onnxruntime-web[\\/]dist[\\/]ort\.(?:webgpu|jspi)\./ },
              { name: 'ort', test: /^(?:(?!node_modules).)*[\\/]node_modules[\\/]onnxruntime-web[\\/]/ },
              { name: 'ort-transformers', test: /[\\/]node_modules[\\/]@huggingface[\\/]transformers[\\/]node_modules[\\/]onnxruntime-web[\\/]/ },
            ],
          },
        },
      },
    },
    plugins: [crx({ manifest: manifestFor(browser), browser }), contentScripts(outDir, browser, define, alias), sessionWorker(outDir, browser, define, alias), bundleModels(outDir), pdfjsAssets(outDir)],
  };
});
