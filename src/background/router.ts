// Routes the protocol's requests to their handlers. Only the extension's own pages and content scripts
// are answered: anything else (or anything malformed) is ignored.
import browser, { type Runtime } from 'webextension-polyfill';
import { broadcast, toReply } from '../shared/messaging.js';
import { pinFits, pinText } from '../shared/first-install.js';
import { devicePins, installedModels, removeModel, storageBytes } from '../shared/model-store.js';
import type { BackgroundReplies, BackgroundRequest, ModelInfo, Reply } from '../shared/protocol.js';
import { isBackgroundRequest } from '../shared/protocol.js';
import { openReader } from './reader.js';
import { precisionInUse } from '../shared/precision.js';
import { REGISTRY, approxBytes, makesInt8OnDevice, pinTier, registryEntry } from '../shared/registry.js';
import { classifyModelId, getSettings } from '../shared/settings.js';
import { classifyText } from './classify.js';
import type { EngineHost } from './engines.js';
import type { Installs } from './installs.js';
import { askPage, highlightAnswer, preparePage, requestState } from './page-qa.js';
import { backendStatus, cancelInOffscreen, chooseInference } from './inference.js';
import { listenSidePanelCommand } from './side-panel.js';
import { listHistory, recordAnswer } from './tab-history.js';
import { tabInfo } from './tabs.js';

export function isOwnSender(sender: Runtime.MessageSender): boolean {
  return sender.id === browser.runtime.id;
}

async function modelInfos(installs: Installs): Promise<ModelInfo[]> {
  const installed = await installedModels();
  const pins = await devicePins();
  const { precision } = await getSettings();
  return REGISTRY.map((entry) => {
    const record = installed[entry.id];
    const installing = installs.state(entry.id);
    const state: ModelInfo['state'] = installing
      ? { kind: 'downloading', step: installing.step, loaded: installing.loaded, total: installing.total }
      : record
        ? { kind: 'installed', source: record.source, bytes: record.bytes, installedAt: record.installedAt, precision: precisionInUse(record, precision, makesInt8OnDevice(entry)) }
        : { kind: 'absent' };
    const pin = pins.get(entry.id);
    const revision = entry.revision ?? (pinFits(entry, pin) ? pin.commit : undefined);
    return {
      id: entry.id,
      name: entry.name,
      task: entry.task,
      repo: entry.repo,
      revision,
      ...(entry.branch ? { branch: entry.branch } : {}),
      pin: { tier: pinTier(entry), text: pinText(entry, pin) },
      ...(entry.reported ? { reported: entry.reported } : {}),
      approxBytes: approxBytes(entry),
      description: entry.description,
      license: entry.license,
      state,
    };
  });
}

async function modelInfo(installs: Installs, id: string): Promise<ModelInfo> {
  const info = (await modelInfos(installs)).find((m) => m.id === id);
  if (!info) throw new Error(`unknown model "${id}"`);
  return info;
}

async function handle(req: BackgroundRequest, engines: EngineHost, installs: Installs): Promise<BackgroundReplies[BackgroundRequest['type']]> {
  switch (req.type) {
    case 'qa/ask': {
      const reply = await askPage(engines, req);
      // the tab's history (side panel, popup); best effort, the answer stands either way
      await recordAnswer(req, reply);
      return reply;
    }
    case 'history/list':
      return listHistory(req.tabId);
    case 'qa/highlight':
      return highlightAnswer(req);
    case 'page/prepare':
      return preparePage(req);
    case 'reader/open':
      return openReader(req);
    case 'classify/run':
      return classifyText(engines, req);
    case 'request/cancel':
      // unknown here: maybe a job the offscreen document still runs for this worker's previous life
      return { cancelled: engines.cancel(req.requestId) || (await cancelInOffscreen(req.requestId)) };
    case 'request/status':
      return { state: requestState(req.requestId) };
    case 'tab/info':
      return tabInfo(req.tabId);
    case 'models/list':
      return { models: await modelInfos(installs), storageBytes: await storageBytes(), hubBaseUrl: (await getSettings()).hubBaseUrl };
    case 'models/download':
      registryEntry(req.modelId);
      await installs.download(req.modelId);
      return { installed: await modelInfo(installs, req.modelId) };
    case 'models/cancel-download':
      return { cancelled: installs.cancel(req.modelId) };
    case 'models/remove': {
      registryEntry(req.modelId);
      await engines.unload(req.modelId);
      const removed = await removeModel(req.modelId);
      broadcast({ type: 'event/models-changed' });
      return { removed };
    }
    case 'models/prewarm': {
      // cold start: session creation overlaps with the user typing the question
      const settings = await getSettings();
      const modelId = req.task === 'qa' ? settings.qaModelId : classifyModelId(settings, settings.classifyMode);
      if (!(await installedModels())[modelId]) return { loading: false };
      // where inference runs: the worker, or Chrome's offscreen document
      (await chooseInference(engines)).prewarm(modelId).catch(() => undefined);
      return { loading: true };
    }
    case 'backend/status':
      return backendStatus(engines);
    case 'models/imported': {
      // the options page stored the files: complete the install (build, int8), and prove it loads before calling it installed
      registryEntry(req.modelId);
      await engines.unload(req.modelId);
      await installs.completeImport(req.modelId, req.files);
      try {
        await engines.model(req.modelId);
      } catch (err) {
        await removeModel(req.modelId).catch(() => undefined);
        throw new Error(`the imported model does not load: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        broadcast({ type: 'event/models-changed' });
      }
      return { installed: await modelInfo(installs, req.modelId) };
    }
  }
}

export function listen(engines: EngineHost, installs: Installs): void {
  // registered with the message listener, at the worker's start: the side panel's shortcut (Chrome)
  listenSidePanelCommand();
  browser.runtime.onMessage.addListener((msg: unknown, sender: Runtime.MessageSender): Promise<Reply<unknown>> | undefined => {
    if (!isOwnSender(sender) || !isBackgroundRequest(msg)) return undefined;
    return toReply(() => handle(msg, engines, installs));
  });
}
