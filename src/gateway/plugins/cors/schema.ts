import { z } from "zod";
import { compileOriginRegex, looksLikeRegex } from "./origins.js";

export const CORS_METHODS = [
  "GET",
  "HEAD",
  "PUT",
  "PATCH",
  "POST",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
] as const;

export const corsSchema = z
  .strictObject({
    origins: z
      .array(
        z
          .string()
          .min(1)
          .refine((o) => o === "*" || !looksLikeRegex(o) || compileOriginRegex(o) !== null, {
            error: (issue) => `'${String(issue.input)}' is not a valid regex`,
          }),
      )
      .nullable()
      .default(null)
      .describe(
        "Allowed origins for `Access-Control-Allow-Origin`. `*` (or nothing) allows all. A single entry made " +
          "only of letters, digits, `.`, `:`, `/` and `-` is sent as it is, whatever the request's origin. In a " +
          "longer list such entries must equal the request's origin (`https://app.example.com`, default ports " +
          "ignored: `example.com` matches only an Origin of `example.com`); any other entry is a regular " +
          "expression (RE2 syntax, matched in linear time) matched against the origin's host, or against the " +
          "whole origin when it contains `:`.",
      ),
    headers: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe(
        "Value of `Access-Control-Allow-Headers` on preflights; unset echoes the request's " +
          "`Access-Control-Request-Headers`.",
      ),
    exposed_headers: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe("Value of `Access-Control-Expose-Headers`; unset exposes no custom headers."),
    methods: z
      .array(z.enum(CORS_METHODS))
      .default([...CORS_METHODS])
      .describe("Value of `Access-Control-Allow-Methods` on preflights."),
    max_age: z
      .number()
      .nullable()
      .default(null)
      .describe("How long (seconds) browsers may cache a preflight answer: `Access-Control-Max-Age`."),
    credentials: z
      .boolean()
      .default(false)
      .describe(
        "Send `Access-Control-Allow-Credentials: true`. With all origins allowed, the request's origin is echoed " +
          "instead of `*`.",
      ),
    private_network: z
      .boolean()
      .default(false)
      .describe(
        "Answer `Access-Control-Allow-Private-Network: true` to preflights carrying " +
          "`Access-Control-Request-Private-Network: true`.",
      ),
    preflight_continue: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, preflight `OPTIONS` requests are proxied upstream instead of answered by the gateway.",
      ),
    allow_origin_absent: z
      .boolean()
      .default(true)
      .describe("If `false`, responses to requests without an `Origin` header get no CORS headers."),
  })
  .describe(
    "Cross-origin resource sharing: answers preflight requests (200, no body) and adds CORS headers to every " +
      "response, including responses produced by other plugins.",
  );

export type CorsConfig = z.infer<typeof corsSchema>;
