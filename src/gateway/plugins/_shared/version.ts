/** The Kong release whose bundled-plugin behaviour this gateway's plugins reproduce (their VERSION). */
export const KONG_VERSION = "3.9.0";
