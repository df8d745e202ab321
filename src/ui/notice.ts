// Message boxes: errors, warnings and neutral notes, with an optional title and actions.
import { h, type Attrs, type Child } from './dom.js';
import { icon, type IconName } from './icons.js';

export type NoticeKind = 'error' | 'warn' | 'info';

const ICONS: Record<NoticeKind, IconName> = { error: 'alert', warn: 'lock', info: 'info' };

export function notice(kind: NoticeKind, parts: { title?: string; body?: Child; actions?: Child; icon?: IconName; attrs?: Attrs }): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', ...parts.attrs },
    icon(parts.icon ?? ICONS[kind]),
    h(
      'div',
      { class: 'notice-content' },
      parts.title ? h('p', { class: 'notice-title' }, parts.title) : null,
      parts.body !== undefined ? h('div', { class: 'notice-body' }, parts.body) : null,
      parts.actions ? h('div', { class: 'notice-actions' }, parts.actions) : null,
    ),
  );
}
