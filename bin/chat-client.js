#!/usr/bin/env node
// Installed entry point: runs the compiled terminal client. The npm package ships dist/ (built by
// prepack); in a checkout, `npm run build` (or `npm run client`) builds it first.
import '../dist/src/client/main.js';
