#!/usr/bin/env node
// A bpf_conformance plugin: program bytes as hex on stdin, memory as hex in the first argument,
// the final r0 printed in hex. See docs/conformance.md.
import { pluginMain } from '../dist/src/cli/conformance-plugin.js';

process.exitCode = await pluginMain(process.argv.slice(2));
