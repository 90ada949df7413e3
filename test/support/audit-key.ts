/** The run's audit key file (test/support/hooks.ts) as an environment setting, for tests that give a service or command an environment of their own. */
export const runAuditKey = (): Record<string, string> => (process.env.AUDIT_KEY_FILE ? { AUDIT_KEY_FILE: process.env.AUDIT_KEY_FILE } : {});
