/**
 * Certificates for TLS tests, made with openssl in a temp dir: a CA, a server certificate for
 * 127.0.0.1/localhost signed by it, a client certificate signed by it, and an unrelated CA (the
 * "wrong CA"). EC keys, so the whole set takes a fraction of a second.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly wrongCaFile: string;
  remove(): void;
}

export function makeTlsCertificates(): TlsCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-resque-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const selfSignedCa = (name: string, cn: string) =>
    openssl('req', '-x509', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`);
  const signed = (name: string, cn: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), `${extensions}\n`);
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  selfSignedCa('ca', 'nestjs-resque test CA');
  selfSignedCa('wrong-ca', 'some other CA');
  signed('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  signed('client', 'resque-client', 'extendedKeyUsage=clientAuth');
  return {
    dir,
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    wrongCaFile: file('wrong-ca.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
