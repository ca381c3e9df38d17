#!/usr/bin/env node
import "../dist/flow.mjs";
