// Types for the Traefik test double's basicAuth checks (unit tests).
export function md5Crypt(password: string, salt: string, magic: string): string;
export function checkSecret(password: string, secret: string): boolean;
export function basicUsers(conf: { users?: string[]; usersFile?: string }): Map<string, string>;
