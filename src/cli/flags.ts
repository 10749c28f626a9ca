import { Flags } from "@oclif/core";

/** `--dir/-d`: the stack folder a command works on (the one holding stack.yaml). */
export const stackDirFlag = () =>
  Flags.string({ char: "d", description: "Stack folder (the one holding stack.yaml).", default: "." });
