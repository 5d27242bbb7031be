import type { PageDef } from '../pages.js';

/** The member's tools, after "My time" in the navigation. */
export const memberPages: PageDef[] = [];
