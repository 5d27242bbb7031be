import type { PageDef } from '../pages.js';

/** The coordinator's tools, after the community dashboard in the navigation. */
export const coordinatorPages: PageDef[] = [];
