#!/usr/bin/env node
// Installed entry point: runs the compiled server CLI (build first with `npm run build`).
import '../dist/src/server/main.js';
