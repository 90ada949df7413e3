/**
 * Copies the closed embedded database in `folder` into `location`, a new database's folder, unless
 * `location` holds a database already; true when it copied (database-folder.js).
 */
export function copyDatabaseFolder(folder: string, location: string): Promise<boolean>;
