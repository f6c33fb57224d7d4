#!/usr/bin/env node
// Installed entry point: runs the compiled server CLI. The npm package ships dist/ (built by
// prepack); in a checkout, `npm run build` (or `npm start`) builds it first.
import '../dist/src/server/main.js';
