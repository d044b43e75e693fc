/** Parsing with zod: each issue becomes a problem line that names the key path and how to fix it. */
import { z } from "zod";
import { closestMatch, isPlainObject } from "../util";
import { PROVIDER_ONLY_FIELDS } from "./clusters";
import { describe, PathPart, Problems } from "./errors";
import { ProviderName } from "./names";

/** The value at `path` in nested maps and lists, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let current = root;
    for (const part of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[part];
    }
    return current;
}

/** Auth secrets an operator may write next to the auth type by mistake; they belong under hubSecrets.<hub>.auth. */
const SECRET_AUTH_FIELDS = ["clientSecret", "password", "adminPassword"];

export function unknownKeyFix(key: string, allowed: readonly string[], context: ProviderContext | undefined): string {
    const owners = context && PROVIDER_ONLY_FIELDS[key];
    if (owners && context?.provider && !owners.includes(context.provider)) {
        return `${key} applies to ${owners.join(" / ")} clusters only, and this cluster is ${context.provider}; remove it`;
    }
    if (SECRET_AUTH_FIELDS.includes(key) && context?.secretHint) {
        return `secrets go in hubSecrets, encrypted: ${context.secretHint(key)}`;
    }
    const guess = closestMatch(key, allowed);
    return guess ? `did you mean ${guess}?` : `allowed here: ${allowed.join(", ")}`;
}

export interface ProviderContext {
    /** The cluster's provider, when known. */
    provider?: ProviderName;
    description: string;
    /** The config-set command for a secret (`clientSecret`, `password`…) misplaced at this level. */
    secretHint?: (field: string) => string;
}

/** Parses `value` with `schema`, turning zod issues into operator-facing problems. */
export function check<S extends z.ZodType>(schema: S, value: unknown, path: readonly PathPart[], problems: Problems,
    context?: ProviderContext): z.infer<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) {
        return result.data;
    }
    for (const issue of result.error.issues) {
        const at = [...path, ...(issue.path as PathPart[])];
        const actual = valueAt(value, issue.path);
        switch (issue.code) {
            case "unrecognized_keys": {
                const shape = shapeAt(schema, issue.path as PathPart[]);
                for (const key of issue.keys) {
                    problems.add([...at, key], "unknown key", unknownKeyFix(key, shape, context));
                }
                break;
            }
            case "invalid_type":
                if (actual === undefined) {
                    problems.add(at, "missing required field", `add it: a ${issue.expected}`);
                } else {
                    problems.add(at, `expected ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`}, got ${describe(actual)}`,
                        `change it to a ${issue.expected === "int" ? "whole number" : issue.expected}`);
                }
                break;
            case "invalid_value":
                problems.add(at, `${describe(actual)} is not allowed`,
                    `use one of: ${issue.values.map(v => JSON.stringify(v)).join(", ")}`);
                break;
            case "too_small":
            case "too_big": {
                // `.positive()` is an exclusive minimum of 0: "at least 0" would name a value it refuses.
                const limit = issue.code === "too_small" ? `${issue.inclusive === false ? "above" : "at least"} ${issue.minimum}` : `at most ${issue.maximum}`;
                const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
                problems.add(at, `${describe(actual)} is too ${issue.code === "too_small" ? "small" : "big"}`,
                    `it must be ${limit}${unit}`);
                break;
            }
            default: {
                // Our own messages read "what (fix)"; zod's built-in ones get a generic fix.
                const [what, fix] = splitMessage(issue.message);
                problems.add(at, `${describe(actual)} ${what}`, fix ?? "see README.md, Configuration reference");
            }
        }
    }
    return undefined;
}

function splitMessage(message: string): [string, string | undefined] {
    const match = /^(.*) \((.*)\)$/.exec(message);
    return match ? [match[1], match[2]] : [message.replace(/^Invalid input: /, "is invalid: "), undefined];
}

/** Keys allowed by the object schema at `path` inside `schema`, for typo suggestions. */
function shapeAt(schema: z.ZodType, path: readonly PathPart[]): string[] {
    let current: z.ZodType | undefined = schema;
    for (const part of [...path, undefined]) {
        while (current && ["optional", "default", "nullable", "pipe"].includes(current.def.type)) {
            const def = current.def as unknown as { innerType?: z.ZodType; in?: z.ZodType };
            current = def.innerType ?? def.in;
        }
        if (!current || part === undefined) break;
        if (current instanceof z.ZodObject) current = current.shape[part as string] as z.ZodType | undefined;
        else if (current instanceof z.ZodRecord) current = current.def.valueType as z.ZodType;
        else if (current instanceof z.ZodArray) current = current.def.element as z.ZodType;
        else current = undefined;
    }
    return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Parses a tagged union (cluster `provider`, auth `type`, homeStorage `type`) with a precise error. */
export function checkTagged<T>(schemas: Record<string, z.ZodType>, allowed: readonly string[], tag: string,
    value: unknown, path: readonly PathPart[], problems: Problems, context?: ProviderContext): T | undefined {
    if (!isPlainObject(value)) {
        problems.add(path, `expected a map, got ${describe(value)}`, `give a map with ${tag}: ${allowed.join(" | ")}`);
        return undefined;
    }
    const kind = value[tag];
    if (typeof kind === "string" && !Object.hasOwn(schemas, kind)) {
        // Not a value of this tag anywhere: a typo, named as one when a valid value is close.
        const guess = closestMatch(kind, allowed);
        problems.add([...path, tag], guess ? `${describe(kind)} looks like a typo of ${guess}` : `${describe(kind)} is not a known ${tag}`,
            guess ? `did you mean ${guess}? allowed: ${allowed.join(", ")}` : `use one of: ${allowed.join(", ")}`);
        return undefined;
    }
    if (typeof kind !== "string" || !allowed.includes(kind)) {
        const where = context ? ` on ${context.description}` : "";
        problems.add([...path, tag], kind === undefined ? "missing required field" : `${describe(kind)} is not supported${where}`,
            `use one of: ${allowed.join(", ")}`);
        return undefined;
    }
    const provider = tag === "provider" ? kind as ProviderName : context?.provider;
    return check(schemas[kind], value, path, problems,
        { ...context, provider, description: context?.description ?? `${kind} clusters` }) as T | undefined;
}

