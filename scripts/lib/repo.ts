/**
 * The repository's root folder, absolute, with a trailing separator: every command and engine
 * that reads or writes a course file starts from here, whatever the current directory is.
 */
import { fileURLToPath } from 'node:url';

/** This file lives in scripts/lib/. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
