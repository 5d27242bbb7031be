import { ledgerSuite } from './ledger.suite.js';

// The same functional tests on embedded PGlite, the database `npm start` uses by default.
ledgerSuite({ embedded: true });
