/**
 * A rule-set version as the service accepts it anywhere (configuration, addresses, queries, the
 * command line): MAJOR.MINOR.PATCH, each at most six digits. The OpenAPI description says the same.
 * A version is a version number, never a path: a folder name is built from it only once it matches.
 */
export const VERSION_PATTERN = '^\\d{1,6}\\.\\d{1,6}\\.\\d{1,6}$';

const VERSION = new RegExp(VERSION_PATTERN);

export const isVersion = (text: string): boolean => VERSION.test(text);
