import { transfersSuite } from './transfers.suite.js';

// The same functional tests on embedded PGlite, the database `npm start` uses by default.
transfersSuite({ embedded: true });
