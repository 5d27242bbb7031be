import { writeFileSync } from 'node:fs';
import { generateOpenApiYaml } from '../src/http/openapi.js';

writeFileSync('openapi.yaml', await generateOpenApiYaml());
console.log('wrote openapi.yaml');
