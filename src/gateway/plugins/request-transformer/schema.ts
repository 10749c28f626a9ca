import { z } from "zod";
import { colonPairs, nameList } from "../_shared/config-pairs.js";
import { compileTemplate, TemplateError } from "./template.js";

const templated = (description: string) =>
  colonPairs(description).superRefine((entries, ctx) => {
    entries.forEach((entry, i) => {
      try {
        compileTemplate(entry.slice(entry.indexOf(":") + 1));
      } catch (err) {
        if (err instanceof TemplateError) ctx.addIssue({ code: "custom", path: [i], message: err.message });
        else throw err;
      }
    });
  });

export const requestTransformerSchema = z
  .strictObject({
    http_method: z
      .string()
      .regex(/^[A-Z]+$/, { error: (issue) => `invalid value: ${String(issue.input)}` })
      .nullable()
      .default(null)
      .describe(
        "Changes the method sent upstream. Changing to GET, HEAD or TRACE also copies a form-encoded body into " +
          "the query string.",
      ),
    remove: z
      .strictObject({
        body: nameList("Body parameters to remove (JSON, form-encoded and multipart bodies)."),
        headers: nameList("Header names to remove."),
        querystring: nameList("Query string parameters to remove."),
      })
      .prefault({})
      .describe("Removed first."),
    rename: z
      .strictObject({
        body: colonPairs("Body parameters to rename, as `old:new`."),
        headers: colonPairs("Headers to rename, as `old:new`."),
        querystring: colonPairs("Query string parameters to rename, as `old:new`."),
      })
      .prefault({})
      .describe("Renamed after removals."),
    replace: z
      .strictObject({
        body: templated("Body parameters to replace when present, as `name:value`."),
        headers: templated("Headers to replace when present, as `name:value`."),
        querystring: templated("Query string parameters to replace when present, as `name:value`."),
        uri: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .superRefine((uri, ctx) => {
            if (uri === null) return;
            try {
              compileTemplate(uri);
            } catch (err) {
              if (err instanceof TemplateError) ctx.addIssue({ code: "custom", message: err.message });
              else throw err;
            }
          })
          .describe(
            "Replaces the upstream path (query string kept), e.g. `/v2/users/$(uri_captures.user)` with a regex " +
              "route `~/users/(?<user>\\d+)$`.",
          ),
      })
      .prefault({})
      .describe("Replaced after renames; values may use templates."),
    add: z
      .strictObject({
        body: templated("Body parameters to add when absent, as `name:value`."),
        headers: templated("Headers to add when absent, as `name:value`."),
        querystring: templated("Query string parameters to add when absent, as `name:value`."),
      })
      .prefault({})
      .describe("Added after replacements; values may use templates."),
    append: z
      .strictObject({
        body: templated("Body parameters to append (a present value becomes a list), as `name:value`."),
        headers: templated("Header values to append, as `name:value`."),
        querystring: templated("Query string values to append, as `name:value`."),
      })
      .prefault({})
      .describe("Appended last; values may use templates."),
  })
  .describe(
    "Transforms the request before it is proxied, in Kong's order: remove, rename, replace, add, append — on " +
      "headers, query string and body (JSON, form-encoded, multipart); `replace.uri` rewrites the path and " +
      "`http_method` the method. Values may use templates: `$(headers.x_name)`, `$(query_params.q)`, " +
      '`$(uri_captures.name)`, `$(uri_captures[1])`, `$(shared.key)`, with `or "fallback"`.',
  );

export type RequestTransformerConfig = z.infer<typeof requestTransformerSchema>;
