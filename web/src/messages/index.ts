import { activity } from './activity.js';
import { admin } from './admin.js';
import { app } from './app.js';
import { applications } from './applications.js';
import { common } from './common.js';
import { coordinator } from './coordinator.js';
import { dashboard } from './dashboard.js';
import { format } from './format.js';
import { imports } from './import.js';
import { ledger } from './ledger.js';
import { links } from './links.js';
import { listings } from './listings.js';
import { member } from './member.js';
import { needs } from './needs.js';
import { partners } from './partners.js';
import { problems } from './problems.js';
import { profile } from './profile.js';
import { settings } from './settings.js';
import { tools } from './tools.js';

/*
 * The message catalogues, one module per area of the client (web/src/messages/<area>.ts, each
 * made with `area()`); add an area to `areas` below. test/web/catalogues.test.ts fails when a
 * language lacks an id English has, or uses a placeholder English does not.
 */

export const areas = [common, app, format, problems, member, dashboard, activity, admin, applications, coordinator, ledger, settings, partners, imports, tools, listings, profile, needs, links] as const;

type Language = 'en' | 'es' | 'ca' | 'fr';
const merge = (language: Language): Record<string, string> => Object.assign({}, ...areas.map((each) => each[language]));

export const catalogues: Record<Language, Record<string, string>> = { en: merge('en'), es: merge('es'), ca: merge('ca'), fr: merge('fr') };

/** Ids of one area's English catalogue; distributed over the areas, so that MessageId is their union. */
type IdsOf<A> = A extends { en: infer E } ? keyof E : never;
/** Every message id English has: `t` takes only these. */
export type MessageId = IdsOf<(typeof areas)[number]> & string;
