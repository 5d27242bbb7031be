import type { PageDef } from '../pages.js';
import { AuditPage } from './audit.js';
import { ClientsPage } from './clients.js';
import { ImportPage } from './import.js';
import { MembersPage } from './members.js';
import { PendingPage } from './pending.js';
import { RecordingPage } from './recording.js';
import { SettingsPage } from './settings.js';
import { TransfersPage } from './transfers.js';
import { WebhooksPage } from './webhooks.js';

/** The coordinator's tools, after the community dashboard in the navigation. */
export const coordinatorPages: PageDef[] = [
  { path: '/members', label: 'Members', coordinatorOnly: true, component: MembersPage },
  { path: '/record', label: 'Record hours', coordinatorOnly: true, component: RecordingPage },
  { path: '/pending', label: 'Pending', coordinatorOnly: true, component: PendingPage },
  { path: '/transfers', label: 'Transfers', coordinatorOnly: true, component: TransfersPage },
  { path: '/settings', label: 'Settings', coordinatorOnly: true, component: SettingsPage },
  { path: '/partners', label: 'Partner apps', coordinatorOnly: true, component: ClientsPage },
  { path: '/webhooks', label: 'Webhooks', coordinatorOnly: true, component: WebhooksPage },
  { path: '/audit', label: 'Audit log', coordinatorOnly: true, component: AuditPage },
  { path: '/import', label: 'Import', coordinatorOnly: true, component: ImportPage },
];
