/** The developer portal (Kong's Dev Portal's job, open here): its listener's handler and options. */
export { createPortalHandler, type PortalOptions, type PortalSource } from "./handler.js";
