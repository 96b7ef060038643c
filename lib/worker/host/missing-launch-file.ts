/**
 * The file children are forked from (the entry, or the bundle and its loader) may be gone while the
 * host runs: a build with nest-cli.json's `deleteOutDir` wipes dist/ under a running worker. The
 * host then forks nothing that could only crash with a raw stack, says why once, and looks again.
 */
import { existsSync } from 'node:fs';
import { BUNDLE_ENV, type ChildLaunch } from './child-bundle.js';

export function missingLaunchFile(launch: ChildLaunch): string | undefined {
  const files = [launch.file, launch.bundled ? launch.env[BUNDLE_ENV] : undefined];
  return files.find((file) => file !== undefined && !existsSync(file));
}

export function missingLaunchMessage(file: string): string {
  return `the worker entry ${file} does not exist (a build with nest-cli.json's deleteOutDir wipes dist/ under a running worker); forking again once it is back`;
}
