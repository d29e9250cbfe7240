#!/usr/bin/env node
// The `qicore` command. A committed shim, so package managers can link the binary even
// before the package is built (workspaces); the CLI itself is in dist/.
import "../dist/cli/bin.js";
