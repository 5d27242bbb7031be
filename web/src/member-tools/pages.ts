import { t } from '../i18n.js';
import type { PageDef } from '../pages.js';
import { BrowsePage } from './browse.js';
import { LinkedPage } from './linked.js';
import { MatchesPage } from './matches.js';
import { MyListingsPage } from './my-listings.js';
import { ProfilePage } from './profile.js';

/** The member's tools, after "My time" in the navigation. */
export const memberPages: PageDef[] = [
  { path: '/listings', label: t('app.page.listings'), component: MyListingsPage },
  { path: '/browse', label: t('app.page.browse'), component: BrowsePage },
  { path: '/matches', label: t('app.page.matches'), component: MatchesPage },
  { path: '/linked', label: t('links.member.nav'), component: LinkedPage },
  { path: '/profile', label: t('app.page.profile'), component: ProfilePage },
];
