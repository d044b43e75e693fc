/**
 * What every rule needs to know about a resource, taken from the policy engine's arguments (or from the
 * offline plan, which builds the same arguments), plus the small parsers the rules share.
 *
 * Rules are written against `ResourceFacts` rather than the engine's argument types so that a check is a
 * plain function of plain data: the tests call it with objects shaped like the real inputs.
 */
import {
    Policy, PolicyProviderResource, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy,
} from "@pulumi/policy";

/** One resource as a rule sees it. */
export interface ResourceFacts {
    /** Type token, e.g. `aws:s3/bucket:Bucket`. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** `urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>`. */
    readonly urn: string;
    /** Inputs (resource validation) or outputs (stack validation); secrets arrive unwrapped. */
    readonly props: Record<string, any>;
    /** The `protect` option: the only deletion guard the policy engine reports (it does not pass retainOnDelete). */
    readonly protect: boolean;
    /** The resource's provider, when the engine reports it. */
    readonly provider?: Pick<PolicyProviderResource, "urn" | "props">;
    /** Stack validation: URNs each input property was computed from, where the engine reports them. */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** The facts of a resource under resource validation. */
export function factsFromArgs(args: ResourceValidationArgs): ResourceFacts {
    return { type: args.type, name: args.name, urn: args.urn, props: args.props, protect: args.opts.protect, provider: args.provider };
}

/** The facts of a resource under stack validation. */
export function factsFromResource(resource: PolicyResource): ResourceFacts {
    return {
        type: resource.type, name: resource.name, urn: resource.urn, props: resource.props,
        protect: resource.opts.protect, provider: resource.provider,
        propertyDependencies: Object.fromEntries(Object.entries(resource.propertyDependencies ?? {})
            .map(([property, dependencies]) => [property, dependencies.map(d => d.urn)])),
    };
}

/** `urn:pulumi:staging::…` -> `staging`. */
export function stackOf(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

export type PlatformName = "aws" | "gcp" | "ovh" | "kubernetes";

/**
 * The fleet platform a URN lives under, read from its parent type chain
 * (`…::jupyterhub:gcp:Cluster$pulumi:providers:kubernetes::…` -> `gcp`).
 */
export function platformOf(urn: string | undefined): PlatformName | undefined {
    const qualifiedType = urn?.split("::")[2] ?? "";
    const match = /(?:^|\$)jupyterhub:(aws|gcp|ovh|kubernetes):Cluster(?:\$|$)/.exec(qualifiedType);
    return match?.[1] as PlatformName | undefined;
}

/** How a resource is named in messages: its short type and logical name. */
export function label(resource: Pick<ResourceFacts, "type" | "name">): string {
    return `${resource.type.split(":").pop()} "${resource.name}"`;
}

/** A value at a dotted path of nested objects, or undefined. */
export function at(root: unknown, path: string): any {
    let current: any = root;
    for (const part of path.split(".")) {
        if (current === null || typeof current !== "object") return undefined;
        current = current[part];
    }
    return current;
}

/** A statement of an IAM-style policy document (AWS IAM, S3 bucket policies, OVH S3 policies). */
export interface IamStatement {
    readonly Sid?: string;
    readonly Effect?: string;
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: string | string[];
    readonly NotResource?: string | string[];
    readonly Principal?: unknown;
    readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * The statements of a policy document given as JSON text or as an object. Text that is not JSON gives
 * `undefined`: providers reject it anyway, and a rule should not report a parse error as a grant.
 */
export function iamStatements(document: unknown): IamStatement[] | undefined {
    let parsed = document;
    if (typeof document === "string") {
        try {
            parsed = JSON.parse(document);
        } catch {
            return undefined;
        }
    }
    if (parsed === null || typeof parsed !== "object") return undefined;
    const statement = (parsed as { Statement?: unknown }).Statement;
    if (statement === undefined) return [];
    return (Array.isArray(statement) ? statement : [statement]) as IamStatement[];
}

/** A string-or-list IAM field as a list. */
export function asList(value: string | string[] | undefined): string[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A resource rule: the engine's policy object plus the pure check it runs, which tests call directly. */
export interface ResourceRule<C extends object = object> extends ResourceValidationPolicy {
    /** Problems of one resource, each a message naming the resource and the fix. */
    readonly check: (resource: ResourceFacts, config: C) => string[];
}

/** A stack rule: the engine's policy object plus the pure check it runs. */
export interface StackRule<C extends object = object> extends StackValidationPolicy {
    /** Problems across the stack's resources, each with the URN of the resource at fault. */
    readonly check: (resources: readonly ResourceFacts[], config: C) => { urn: string; message: string }[];
}

/** A rule's metadata (name, description, enforcement level, config schema with defaults) and its check. */
type RuleDefinition<R> = Policy & { readonly check: R };

export function resourceRule<C extends object = object>(definition: RuleDefinition<ResourceRule<C>["check"]>): ResourceRule<C> {
    return {
        ...definition,
        validateResource: (args, reportViolation) => {
            for (const message of definition.check(factsFromArgs(args), args.getConfig<C>())) reportViolation(message);
        },
    };
}

export function stackRule<C extends object = object>(definition: RuleDefinition<StackRule<C>["check"]>): StackRule<C> {
    return {
        ...definition,
        validateStack: (args, reportViolation) => {
            for (const { urn, message } of definition.check(args.resources.map(factsFromResource), args.getConfig<C>())) {
                reportViolation(message, urn);
            }
        },
    };
}
