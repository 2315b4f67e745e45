import { readFileSync } from 'node:fs';
import path from 'node:path';

const SERVICES = path.resolve(__dirname, '../../../services');

/** The raw text of a producer's published sample of `type` (services/<producer>/contracts/<type>.json). */
export const contractSample = (producer: string, type: string): string =>
  readFileSync(path.join(SERVICES, producer, 'contracts', `${type}.json`), 'utf8');
