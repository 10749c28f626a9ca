import { z } from "zod";
import { BaseCommand } from "../cli/base-command.js";
import { stackSchema } from "../stack/schema.js";

export default class Schema extends BaseCommand<typeof Schema> {
  static override summary = "Print the JSON Schema of stack.yaml (for editors).";

  async run(): Promise<unknown> {
    const schema = z.toJSONSchema(stackSchema, { io: "input", unrepresentable: "any" });
    if (!this.jsonEnabled()) this.say(JSON.stringify(schema, null, 2));
    return schema;
  }
}
