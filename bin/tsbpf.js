#!/usr/bin/env node
// The tsbpf command line (bpftool's OBJECT COMMAND grammar). Runs the compiled CLI in dist/.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
