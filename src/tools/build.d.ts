// The types of src/tools/build.js (plain JavaScript, so that `npm start` checks its build without a compiler).
export declare const SRC: string;
export declare const DIST: string;
/** The digest of src/: every file's path and bytes. */
export declare function sourceDigest(): string;
/** Whether dist/ was built from src/ as it is now. */
export declare function buildIsCurrent(): boolean;
/** Builds dist/ afresh, then the embedded database's template when its migrations have none yet, then records the shipped rules' checks. */
export declare function build(): Promise<{ files: number; digest: string; template: 'made' | 'current' | 'failed'; checks: 'made' | 'failed' }>;
