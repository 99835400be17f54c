import fc from 'fast-check';
import { arbitraryBodies, badBodies, truncatedUploads } from './bad-bodies';
import { badHeaders } from './bad-headers';
import { badMethods, badOtherRoutes, badStreamIds } from './bad-paths';
import { arbitraryQueries, badQueries } from './bad-queries';
import type { FuzzCase, FuzzTarget } from './fuzz-case';
import { resumes } from './resumes';

/** Every kind of generated request to the native routes, weighted towards the richest input. */
export function anyFuzzCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 30, arbitrary: badBodies(target) },
    { weight: 6, arbitrary: arbitraryBodies(target) },
    { weight: 14, arbitrary: badHeaders(target) },
    { weight: 12, arbitrary: badStreamIds(target) },
    { weight: 16, arbitrary: badQueries(target) },
    { weight: 4, arbitrary: arbitraryQueries(target) },
    { weight: 10, arbitrary: badMethods(target) },
    { weight: 4, arbitrary: badOtherRoutes(badBodies(target)) },
    { weight: 3, arbitrary: resumes(target) },
    { weight: 2, arbitrary: truncatedUploads(target) },
  );
}
