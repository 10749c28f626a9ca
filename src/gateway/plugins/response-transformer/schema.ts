import { z } from "zod";
import { colonPairs, nameList } from "../_shared/config-pairs.js";

const jsonTypes = z
  .array(z.enum(["boolean", "number", "string"]))
  .default([])
  .describe("Type of each `json` value, by position: `boolean`, `number` or `string` (the default).");

export const responseTransformerSchema = z
  .strictObject({
    remove: z
      .strictObject({
        headers: nameList("Response headers to remove."),
        json: nameList("JSON body properties to remove."),
      })
      .prefault({})
      .describe("Removed first."),
    rename: z
      .strictObject({
        headers: colonPairs("Response headers to rename, as `old:new`."),
        json: colonPairs("JSON body properties to rename, as `old:new`."),
      })
      .prefault({})
      .describe("Renamed after removals."),
    replace: z
      .strictObject({
        headers: colonPairs("Response headers to replace when present, as `name:value`."),
        json: colonPairs("JSON body properties to replace when present, as `name:value`."),
        json_types: jsonTypes,
      })
      .prefault({})
      .describe("Replaced after renames."),
    add: z
      .strictObject({
        headers: colonPairs("Response headers to add when absent, as `name:value`."),
        json: colonPairs("JSON body properties to add when absent, as `name:value`."),
        json_types: jsonTypes,
      })
      .prefault({})
      .describe("Added after replacements."),
    append: z
      .strictObject({
        headers: colonPairs("Response header values to append, as `name:value`."),
        json: colonPairs("JSON body values to append (a present value becomes a list), as `name:value`."),
        json_types: jsonTypes,
      })
      .prefault({})
      .describe("Appended last."),
  })
  .describe(
    "Transforms the response in Kong's order: remove, rename, replace, add, append — on headers, and on the body " +
      "when the response is JSON (`Content-Type` containing `application/json`).",
  );

export type ResponseTransformerConfig = z.infer<typeof responseTransformerSchema>;
