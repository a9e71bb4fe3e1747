#!/usr/bin/env node
import { processIo } from '@packyard/core';
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2), processIo());
