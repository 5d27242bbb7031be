import { transfersSuite } from './transfers.suite.js';

transfersSuite({ embedded: false });
