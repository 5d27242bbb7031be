import { federationSuite } from './federation.suite.js';

federationSuite();
