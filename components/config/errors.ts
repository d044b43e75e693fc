/**
 * Problems and their reporting: every problem is one line `<key path>: <what is wrong> (<how to fix>)`, and
 * one FleetConfigError lists them all (parse.ts turns zod's issues into such lines).
 */
import { isPlainObject } from "../util";
import { CONFIG_NAMESPACE } from "./names";

export type PathPart = string | number;

export function formatPath(path: readonly PathPart[]): string {
    return path.map((part, i) => typeof part === "number" ? `[${part}]`
        : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(part) ? (i === 0 ? part : `.${part}`) : `["${part}"]`).join("");
}

/** One error listing every problem in a stack's config. */
export class FleetConfigError extends Error {
    constructor(readonly stackFile: string, readonly problems: readonly string[]) {
        super(`${stackFile}: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"} ` +
            `under "${CONFIG_NAMESPACE}:" (nothing was deployed):\n` + problems.map(p => `  - ${p}`).join("\n"));
        this.name = "FleetConfigError";
    }
}

export class Problems {
    readonly list: string[] = [];
    /** A problem found once per hub in what the hubs share (hubDefaults) is listed once. */
    add(path: readonly PathPart[], what: string, fix: string): void {
        const line = `${formatPath(path)}: ${what} (${fix})`;
        if (!this.list.includes(line)) this.list.push(line);
    }
}

export function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    return `${typeof value} ${JSON.stringify(value)}`;
}

export function secretCommand(path: string, example: string): string {
    return `pulumi config set --secret --path '${path}' '${example}'`;
}

/** `value` as a map keyed by entry name, or {} with a problem when it is something else. */
export function recordOf(value: unknown, path: readonly PathPart[], problems: Problems, what: string): Record<string, unknown> {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
        problems.add(path, `expected a map of ${what}, got ${describe(value)}`, `write it as a YAML map keyed by ${what.replace(/s$/, "")} name`);
        return {};
    }
    return value;
}
