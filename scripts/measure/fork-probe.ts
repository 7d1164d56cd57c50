/**
 * The child that scripts/measure/fork-cost.ts starts and measures: it loads what a
 * child of webserver3h loads (Part 2's server and the hello app), then tells
 * its parent it is ready, and exits when the parent says so.
 */
import { loadApplication } from '../../part2/loader.ts';
import { handleOneRequest } from '../../part2/webserver2.ts';
import { app } from '../../part2/apps/hello.ts';

// Referenced, so that a bundler keeps them: the probe must load what a real child loads.
if (typeof handleOneRequest !== 'function' || typeof loadApplication !== 'function' || typeof app !== 'function') process.exit(1);
// Its own CPU time so far (user + system, µs): what the parent cannot read portably (/proc/PID/stat is Linux only).
process.send?.({ ready: true, cpu: process.cpuUsage() });
process.once('message', () => process.exit(0));
