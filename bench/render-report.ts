/** Re-renders bench/README.md and the chart from bench/results/latest.json (`npm run bench:report`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from './bench-results';
import { writeReport } from './report';

const results = JSON.parse(
  readFileSync(join(process.cwd(), 'bench', 'results', 'latest.json'), 'utf8'),
) as BenchResults;
void writeReport(results);
