import type { PageDef } from '../pages.js';
import { BrowsePage } from './browse.js';
import { MatchesPage } from './matches.js';
import { MyListingsPage } from './my-listings.js';
import { ProfilePage } from './profile.js';

/** The member's tools, after "My time" in the navigation. */
export const memberPages: PageDef[] = [
  { path: '/listings', label: 'My offers and requests', component: MyListingsPage },
  { path: '/browse', label: 'Find help', component: BrowsePage },
  { path: '/matches', label: 'Matches', component: MatchesPage },
  { path: '/profile', label: 'My profile', component: ProfilePage },
];
