/** Injection token of the options as the host passed them (before validation). */
export const LITESTRIPE_RAW_OPTIONS = 'LITESTRIPE_MODULE_OPTIONS';
