import { timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * The sample's guard for the dashboard at /resque: HTTP basic auth against DASHBOARD_USER and
 * DASHBOARD_PASSWORD from the environment. With either unset, every request is refused (401).
 */
@Injectable()
export class DashboardAuthGuard implements CanActivate {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const user = process.env.DASHBOARD_USER;
    const password = process.env.DASHBOARD_PASSWORD;
    if (user && password && matches(request.headers.authorization, user, password)) return true;
    this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', 'Basic realm="Resque dashboard", charset="UTF-8"');
    throw new UnauthorizedException(user && password ? 'Wrong or missing credentials' : 'The dashboard is closed: DASHBOARD_USER and DASHBOARD_PASSWORD are not set');
  }
}

function matches(header: string | string[] | undefined, user: string, password: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
  const expected = Buffer.from(`${user}:${password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
