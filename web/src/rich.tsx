import type { ComponentChild } from 'preact';
import { t } from './i18n.js';
import type { MessageId } from './messages/index.js';

/*
 * A catalogue message with elements inside it (a link, a figure in bold): the translation decides
 * where they go, and each element takes the place of its placeholder.
 */

const MARK = '\uE000';

export function rich(id: MessageId, elements: Record<string, ComponentChild>, values: Record<string, string | number> = {}): ComponentChild[] {
  const marked = Object.fromEntries(Object.keys(elements).map((name) => [name, `${MARK}${name}${MARK}`]));
  return t(id, { ...values, ...marked })
    .split(MARK)
    .map((piece, index) => (index % 2 === 1 ? elements[piece] : piece));
}
