#!/usr/bin/env node
/** `npx nestjs-resque ...`: the package's bin. Our errors (bad REDIS_URL, unreachable Redis, no such failed job) are one line and exit 1. */
import { CommanderError } from 'commander';
import { ResqueError } from '../errors/resque.error.js';
import { printable } from '../protocol/printable.js';
import { buildProgram } from './program.js';

const program = buildProgram({
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTty: process.stderr.isTTY === true,
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Already printed by commander (usage errors), or help/version (exit 0).
    process.exitCode = error.exitCode;
  } else {
    // Ours (bad REDIS_URL, unreachable Redis, no such failed job) and Redis' replies alike: one line.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`nestjs-resque: ${printable(message)}${error instanceof ResqueError ? '' : ` (${error instanceof Error ? error.name : typeof error})`}\n`);
    process.exitCode = 1;
  }
}
