import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before anything allocates much. V8 pretenures the objects of an
 * allocation site once it sees enough of them survive, and under load it came to allocate the
 * objects of every authenticated request (the passport chain) straight in the old generation:
 * measured with `--trace-gc` under wrk on `GET /volumes/{id}`, about 1.3 MB a young-generation
 * collection went to the old generation, which grew from 44 MB live to about 180 MB between full
 * collections (349 MiB resident at the peak, full-collection steps of up to 16 ms on requests).
 * Without pretenuring, requests' objects die young: 0.02 MB a collection, 179 MiB at the peak.
 */
setFlagsFromString('--no-allocation-site-pretenuring');

/**
 * The old generation may grow to 1.5 times what was live after the last full collection, not the
 * up to 4 times V8 allows while full collections look cheap: the resident size is the heap's
 * high-water mark (Linux does not get the pages back in time), and with a few tens of MB live the
 * extra full collections are small ones.
 */
setFlagsFromString('--heap-growing-percent=50');
