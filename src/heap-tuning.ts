import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before anything allocates much. Under load V8 came to allocate every
 * authenticated request's objects straight in the old generation, which then grew to several times
 * what was live between full collections (README, "Read path"); without pretenuring they die young.
 */
setFlagsFromString('--no-allocation-site-pretenuring');

/**
 * The old generation may grow to 1.5 times what was live after the last full collection, not the
 * up to 4 times V8 allows while full collections look cheap: the resident size is the heap's
 * high-water mark (Linux does not get the pages back in time), and with a few tens of MB live the
 * extra full collections are small ones.
 */
setFlagsFromString('--heap-growing-percent=50');
