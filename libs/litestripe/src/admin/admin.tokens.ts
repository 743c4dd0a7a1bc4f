/** The resolved options of `LitestripeAdminModule`. */
export const LITESTRIPE_ADMIN_OPTIONS = Symbol('LITESTRIPE_ADMIN_OPTIONS');
