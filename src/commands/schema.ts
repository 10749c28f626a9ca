import { BaseCommand } from "../cli/base-command.js";
import { type JsonSchemaNode, stackJsonSchema } from "../stack/json-schema.js";

export default class Schema extends BaseCommand<typeof Schema> {
  static override summary = "Print the JSON Schema of stack.yaml (for editors).";
  static override description =
    "The same schema is published as schema/stack.schema.json; stack.yaml files written by `stack init` point to it " +
    "with a `# yaml-language-server: $schema=…` comment.";

  async run(): Promise<JsonSchemaNode> {
    const schema = stackJsonSchema();
    if (!this.jsonEnabled()) this.say(JSON.stringify(schema, null, 2));
    return schema;
  }
}
