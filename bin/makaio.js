#!/usr/bin/env node
// Runs the TypeScript command line through tsx's ESM loader, so it needs no build step.
// The loader also lets `--config` import TypeScript config files.
import { register } from "tsx/esm/api"

register()
await import("../src/cli/main.ts")
