/**
 * Runs the pack's rules outside the policy engine, on resources the offline plan recorded: the same
 * policy objects, the same per-stack policy config file (`policies/config/<stack>.json`, the file
 * `--policy-pack-config` takes), the same enforcement-level resolution. Importing this does not start the
 * analyzer server (only constructing `PolicyPack` does).
 */
import {
    EnforcementLevel, Policy, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy,
    StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

/** A resource as the plan recorded it. */
export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** What resource validation sees: the inputs, secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** What stack validation sees: inputs plus the outputs the provider computed. */
    readonly outputs: Record<string, any>;
    readonly protect: boolean;
    readonly ignoreChanges: readonly string[];
    readonly parentUrn?: string;
    /** The explicit provider, when the plan saw it registered. */
    readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly props: Record<string, any> };
}

/** The JSON of a `--policy-pack-config` file: policy name (or `all`) -> level, or level plus config. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    readonly policy: string;
    readonly enforcementLevel: "advisory" | "mandatory";
    /** The resource at fault; absent when a stack rule blames the whole stack. */
    readonly urn?: string;
    readonly message: string;
}

/** The level a policy runs at: its config entry, then `all`, then its own, then the pack's default. */
export function enforcementLevelOf(policy: Policy, config: PackConfig, packDefault: EnforcementLevel): EnforcementLevel {
    const levelIn = (entry: PackConfig[string] | undefined) => typeof entry === "string" ? entry : entry?.enforcementLevel;
    return levelIn(config[policy.name]) ?? levelIn(config.all) ?? policy.enforcementLevel ?? packDefault;
}

/** A policy's config: the schema's defaults, overridden by its entry in the config file. */
export function configOf(policy: Policy, config: PackConfig): Record<string, unknown> {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {})
        .filter(([, schema]) => schema.default !== undefined)
        .map(([key, schema]) => [key, schema.default]));
    const entry = config[policy.name];
    const { enforcementLevel: _level, ...values } = typeof entry === "object" ? entry : {};
    return { ...defaults, ...values };
}

class NotApplicable extends Error { }

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
    return (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

function optionsOf(resource: PlannedResource): PolicyResourceOptions {
    return {
        protect: resource.protect, ignoreChanges: [...resource.ignoreChanges], aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [],
        ...(resource.parentUrn ? { parent: resource.parentUrn } : {}),
    };
}

/** The stack validation view of every resource, with parents linked. */
function policyResources(resources: readonly PlannedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    for (const resource of resources) {
        const policyResource: PolicyResource = {
            type: resource.type, name: resource.name, urn: resource.urn, props: resource.outputs, opts: optionsOf(resource),
            provider: resource.provider, dependencies: [], propertyDependencies: {},
            isType: resourceClass => isTypeOf(resource.type, resourceClass),
            asType: resourceClass => isTypeOf(resource.type, resourceClass) ? resource.outputs as any : undefined,
        };
        byUrn.set(resource.urn, policyResource);
    }
    for (const resource of resources) {
        const parent = resource.parentUrn ? byUrn.get(resource.parentUrn) : undefined;
        if (parent) byUrn.get(resource.urn)!.parent = parent;
    }
    return [...byUrn.values()];
}

/**
 * Every violation of `policies` on `resources`, in policy order then resource order. Remediations do not
 * run (the plan changes nothing), so a `remediate` policy reports as mandatory, as the engine does when a
 * violation survives remediation.
 */
export async function evaluatePolicies(policies: readonly (ResourceValidationPolicy | StackValidationPolicy)[],
    resources: readonly PlannedResource[], config: PackConfig, packDefault: EnforcementLevel = "mandatory"): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const policy of policies) {
        const level = enforcementLevelOf(policy, config, packDefault);
        if (level === "disabled") continue;
        const enforcementLevel = level === "advisory" ? "advisory" : "mandatory";
        const getConfig = <T extends object>() => configOf(policy, config) as T;
        const report = (resourceUrn: string | undefined) => (message: string, urn?: string) => {
            violations.push({ policy: policy.name, enforcementLevel, urn: urn ?? resourceUrn, message });
        };
        try {
            if ("validateStack" in policy) {
                const args: StackValidationArgs = { resources: policyResources(resources), stackTags: new Map(), getConfig, notApplicable };
                await policy.validateStack(args, report(undefined));
                continue;
            }
            const validations = [policy.validateResource ?? []].flat();
            for (const resource of resources) {
                const args: ResourceValidationArgs = {
                    type: resource.type, props: resource.inputs, urn: resource.urn, name: resource.name, opts: optionsOf(resource),
                    provider: resource.provider, stackTags: new Map(), getConfig, notApplicable,
                    isType: resourceClass => isTypeOf(resource.type, resourceClass),
                    asType: resourceClass => isTypeOf(resource.type, resourceClass) ? resource.inputs as any : undefined,
                };
                for (const validate of validations) {
                    try {
                        await validate(args, report(resource.urn));
                    } catch (error) {
                        if (!(error instanceof NotApplicable)) throw error;
                    }
                }
            }
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    }
    return violations;
}
