import { ResqueError } from './resque.error.js';

/** ResqueDashboardModule was configured with no guard and neither `readOnly` nor `public`: it refuses to boot. */
export class DashboardNotSecuredError extends ResqueError {
  override name = 'DashboardNotSecuredError';
  constructor(readonly path: string) {
    super(
      `ResqueDashboardModule at /${path} has no access control: pass guards: [YourAuthGuard], ` +
        `or say readOnly: true (anyone may look, nobody may change) or public: true (anyone may look and act) explicitly`,
    );
  }
}
