import type { ComponentType } from 'preact';
import type { Session } from './api.js';

/** What every page is given: the session, and what to call when the service ended it. */
export type PageProps = { session: Session; onExpired: () => void };

/**
 * One page of the client, reached at `#<path>` and listed in the top navigation. Pages for
 * coordinators are shown to coordinators only; the API refuses everyone else anyway.
 */
export type PageDef = { path: string; label: string; coordinatorOnly?: boolean; component: ComponentType<PageProps> };
