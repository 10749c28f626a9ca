import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

/**
 * Handlebars templates for the text formats (Caddyfile, Jenkinsfile, Logstash pipeline),
 * read from the package's templates/ folder. Output is not HTML: no escaping. Strict mode
 * makes a missing variable an error instead of an empty string.
 */
const TEMPLATES_DIR = new URL("../../templates/", import.meta.url);

const handlebars = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(name: string, data: object): string {
  let template = compiled.get(name);
  if (template === undefined) {
    const source = readFileSync(new URL(name, TEMPLATES_DIR), "utf8");
    template = handlebars.compile(source, { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(data);
}
