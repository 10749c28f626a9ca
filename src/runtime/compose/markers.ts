/**
 * Compose's merge-control YAML tags, as values in a parsed tree: `!reset` clears what earlier files
 * set, `!override` replaces it instead of merging.
 */
export class ResetValue {
  readonly kind = "reset";
}

export class OverrideValue {
  readonly kind = "override";
  constructor(readonly value: unknown) {}
}
