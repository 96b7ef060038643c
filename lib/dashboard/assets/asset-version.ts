import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';

/** Changes with the assets' content: their URLs carry it, so they may be cached for long. */
export const ASSET_VERSION = createHash('sha1').update(DASHBOARD_SCRIPT).update(DASHBOARD_STYLE).digest('hex').slice(0, 10);
