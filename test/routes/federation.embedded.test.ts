import { federationSuite } from './federation.suite.js';

// The same tests on embedded PGlite, the database `npm start` uses by default.
federationSuite({ embedded: true });
