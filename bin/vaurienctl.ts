#!/usr/bin/env node
// `vaurienctl`: drive a running vaurien through its control API. Thin: the program lives in
// lib/cli/vaurienctl-program.ts; a usage mistake exits 2, any other failure 1.
import { exitQuietlyWhenOutputCloses } from '../lib/cli/closed-pipe.js';
import { runVaurienctl } from '../lib/cli/vaurienctl-program.js';

exitQuietlyWhenOutputCloses();

process.exitCode = await runVaurienctl(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
