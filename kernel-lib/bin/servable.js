#!/usr/bin/env node
// The installed command; the code is compiled to dist/ by the build (npm install's prepare).
require("../dist/cli.js");
