import { t } from '../i18n.js';
import type { PageDef } from '../pages.js';
import { ApplicationsPage } from './applications.js';
import { AuditPage } from './audit.js';
import { ClientsPage } from './clients.js';
import { ImportPage } from './import.js';
import { LinksPage } from './links.js';
import { MembersPage } from './members.js';
import { PendingPage } from './pending.js';
import { RecordingPage } from './recording.js';
import { SettingsPage } from './settings.js';
import { TransfersPage } from './transfers.js';
import { WebhooksPage } from './webhooks.js';

/** The coordinator's tools, after the community dashboard in the navigation. */
export const coordinatorPages: PageDef[] = [
  { path: '/members', label: t('app.page.members'), coordinatorOnly: true, component: MembersPage },
  { path: '/record', label: t('app.page.record'), coordinatorOnly: true, component: RecordingPage },
  { path: '/pending', label: t('app.page.pending'), coordinatorOnly: true, component: PendingPage },
  { path: '/applications', label: t('applications.nav'), coordinatorOnly: true, component: ApplicationsPage },
  { path: '/transfers', label: t('app.page.transfers'), coordinatorOnly: true, component: TransfersPage },
  { path: '/settings', label: t('app.page.settings'), coordinatorOnly: true, component: SettingsPage },
  { path: '/partners', label: t('app.page.partners'), coordinatorOnly: true, component: ClientsPage },
  { path: '/webhooks', label: t('app.page.webhooks'), coordinatorOnly: true, component: WebhooksPage },
  { path: '/links', label: t('links.nav'), coordinatorOnly: true, component: LinksPage },
  { path: '/audit', label: t('app.page.audit'), coordinatorOnly: true, component: AuditPage },
  { path: '/import', label: t('app.page.import'), coordinatorOnly: true, component: ImportPage },
];
