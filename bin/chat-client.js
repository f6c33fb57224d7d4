#!/usr/bin/env node
// Installed entry point: runs the compiled terminal client (build first with `npm run build`).
import '../dist/src/client/main.js';
