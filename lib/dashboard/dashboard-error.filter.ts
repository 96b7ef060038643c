/**
 * The dashboard's errors (404 for a job that ran, 403 for a refused action, a guard's 401...): a
 * short HTML page for a browser, Nest's usual JSON for anything else. The message is escaped like
 * every page; headers a guard set (WWW-Authenticate) stay.
 */
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { html } from './html.js';

@Catch(HttpException)
export class DashboardErrorFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ headers?: Record<string, string | string[] | undefined> }>();
    const response = http.getResponse<unknown>();
    const adapter = this.adapterHost.httpAdapter;
    const status = exception.getStatus();
    const accept = String(request.headers?.accept ?? '');
    if (!accept.includes('text/html') || request.headers?.['x-resque-fragment'] === '1') {
      adapter.reply(response, exception.getResponse(), status);
      return;
    }
    adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'Content-Security-Policy', "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} · Resque</title></head>
<body><h1>${status}</h1><p>${exception.message}</p></body></html>`;
    adapter.reply(response, page.value, status);
  }
}
