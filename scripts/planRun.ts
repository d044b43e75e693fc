/**
 * The offline plan's engine: runs the program for one stack under Pulumi mocks (no cloud, no CLI), records
 * every resource with its inputs, computed outputs and options, and evaluates the policy pack's rules on
 * them. Config and mocks are process-global: each run sets both before it loads the program, and the
 * program reads its config when it runs, not when its modules load, so one process can plan one stack
 * after another (scripts/plan.ts plans a base and a head; the tests plan many stacks), never two at once.
 *
 * Mocks never see resource options or parents, so the plan passes a transformation to `deployFleet`
 * (inherited by every child) and joins what it sees with what the mocks receive by type and name, the
 * key the tests' recorders use as well.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../components/config";
import { sortKeysDeep } from "../components/util";
import { rules } from "../policies/rules";
import { PackConfig, PlannedResource, Violation, evaluatePolicies } from "../policies/evaluate";
// The mock recorder and computed-output table the tests use too, so the plan and the tests answer the program alike.
import { DEFAULT_OUTPUTS, MockMode, MockRecorder } from "./mocks";
import { placeholderFor, readStackFile } from "./stackConfig";
import { checkRelease, plaintextSecrets } from "./engineModel/helmRelease";
import { strandedGroupMembers } from "../components/ovh/groupLogins";

/** What JSON output shows instead of a secret value. */
export const REDACTED = "[secret]";
/** The plan's own check, beside the pack's rules: the engine hides secrets itself, the plan must check they stay secret. */
export const SECRET_LEAK_POLICY = "plan:secrets-stay-secret";
/** Access-group members no hub admits: a warning, an error under `--strict` (CI). */
export const STRANDED_MEMBER_POLICY = "plan:access-group-logins";
const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";


/** The repository: the nearest directory up from this file with Pulumi.yaml (this file also runs compiled, from bin/). */
export const REPO_ROOT = (() => {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
})();
const POLICY_CONFIG_DIR = path.join(REPO_ROOT, "policies", "config");

/** One resource of the plan. */
export interface PlanResource extends PlannedResource {
    readonly retainOnDelete: boolean;
    /** A custom resource (a cloud object) rather than a component grouping others. */
    readonly custom: boolean;
    /** Inputs with every secret value replaced by "[secret]": what the plan prints. */
    readonly shownInputs: Record<string, unknown>;
    /** Input name -> URNs of the custom resources its value comes from, as the SDK sends them to the engine. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** URNs the engine also knows this resource by (its own `aliases` and those inherited from its parents). */
    readonly aliases: readonly string[];
}

export interface Plan {
    readonly stack: string;
    /** Sorted by URN. */
    readonly resources: readonly PlanResource[];
    /** Stack outputs, secrets redacted. */
    readonly outputs: unknown;
    readonly violations: readonly Violation[];
}

export type PlanOutcome =
    | { readonly kind: "plan"; readonly plan: Plan }
    | { readonly kind: "config-error"; readonly message: string };

/** The program itself failed (an exception inside an `apply`, a rejected registration): no verdict. */
export class PlanFailure extends Error { }

/** What the transformation sees of a resource; the rest arrives at the mocks. */
interface Capture {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly parent?: Capture;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: readonly string[];
    /** Package -> provider for this resource and its children, as the SDK resolves it. */
    readonly providers: Readonly<Record<string, pulumi.ProviderResource>>;
    readonly provider?: pulumi.ProviderResource;
    readonly aliases: readonly pulumi.Input<string | pulumi.Alias>[];
}

/** What the mocks saw of a resource. */
interface Registration {
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
}

function isSecretWrapper(value: unknown): value is { value: unknown } {
    return !!value && typeof value === "object"
        && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** A serialized tree with its secret wrappers removed: rules see secrets' values, as under the engine. */
function unwrapSecrets(value: unknown): unknown {
    if (isSecretWrapper(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unwrapSecrets(item)]));
    }
    return value;
}

/** `value` with secrets, and plain strings that carry a secret's placeholder, shown as "[secret]". */
function redact(value: unknown, placeholders: readonly string[]): unknown {
    if (isSecretWrapper(value)) return REDACTED;
    if (typeof value === "string") return placeholders.some(p => value.includes(p)) ? REDACTED : value;
    if (Array.isArray(value)) return value.map(item => redact(item, placeholders));
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item, placeholders)]));
    }
    return value;
}

function packageOf(type: string): string {
    return type.split(":")[0];
}

/** The value of an Input the program built from config (known under mocks outside preview). */
function plain<T>(value: pulumi.Input<T> | undefined): Promise<T | undefined> {
    return pulumi.Output.isInstance(value)
        ? new Promise(resolve => value.apply(v => { resolve(v as T); return v; }))
        : Promise.resolve(value as T | undefined);
}

/** `type::name` of a URN: the key registrations and captures share (mock URNs name only the parent's type). */
function keyOfUrn(urn: string): string {
    const [, , types, name] = urn.split("::");
    return `${types.split("$").pop()}::${name}`;
}

/** A URN from its parts; `parentUrn` undefined for a resource at the top of the stack. */
export function makeUrn(stack: string, type: string, name: string, parentUrn: string | undefined): string {
    const prefix = parentUrn ? `${parentUrn.split("::").slice(0, 3).join("::")}$` : `urn:pulumi:${stack}::${CONFIG_NAMESPACE}::`;
    return `${prefix}${type}::${name}`;
}

/** An alias as the program wrote it, once its Input parts are plain: a URN, or parts that default to the resource's. */
export type AliasSpec = string | { readonly name?: string; readonly type?: string; readonly parentUrn?: string | null };

/**
 * Every URN a resource may have had, as the engine matches it against the state: its own aliases, and for
 * each URN its parent may have had, the same resource under that parent — renamed the way the parent was
 * when its name starts with the parent's (`<key>-release` under hub `<key>`). Mirrors the SDK's
 * `allAliases` / `inheritedChildAlias` (@pulumi/pulumi resource.js), which the engine applies to alias
 * specs the same way.
 */
export function aliasUrns(
    stack: string,
    resource: { readonly type: string; readonly name: string; readonly parentUrn?: string; readonly parentName?: string },
    own: readonly AliasSpec[],
    parentAliases: readonly string[],
): string[] {
    const collapse = (alias: AliasSpec, parentUrn: string | undefined): string => typeof alias === "string" ? alias
        : makeUrn(stack, alias.type ?? resource.type, alias.name ?? resource.name,
            alias.parentUrn === undefined ? parentUrn : alias.parentUrn ?? undefined);
    const nameUnder = (name: string, parentAlias: string) => resource.parentName && name.startsWith(resource.parentName)
        ? `${parentAlias.slice(parentAlias.lastIndexOf("::") + 2)}${name.slice(resource.parentName.length)}` : name;
    const urns = own.map(alias => collapse(alias, resource.parentUrn));
    for (const parentAlias of parentAliases) {
        urns.push(makeUrn(stack, resource.type, nameUnder(resource.name, parentAlias), parentAlias));
        for (const alias of own) {
            const aliasUrn = collapse(alias, resource.parentUrn);
            const [, , types, name] = aliasUrn.split("::");
            urns.push(makeUrn(stack, types.split("$").pop()!, nameUnder(name, parentAlias), parentAlias));
        }
    }
    return [...new Set(urns)];
}

/** The stack's policy config (`policies/config/<stack>.json`), or none: the pack's own levels apply. */
export function readPolicyConfig(stack: string): PackConfig {
    const file = path.join(POLICY_CONFIG_DIR, `${stack}.json`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig : {};
}

/**
 * Plans `stack` from `Pulumi.<stack>.yaml` in `dir`. Rejects with PlanFailure when the program fails: the
 * SDK reports such a failure only as an unhandled rejection and leaves the outputs that depend on it
 * pending, so the run would otherwise never end. Runs must not overlap (config and mocks are global).
 */
export async function runPlan(stack: string, dir: string, mode: MockMode = "update", strict = false): Promise<PlanOutcome> {
    let onRejection: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
        onRejection = reason => reject(new PlanFailure(`the program failed: ${(reason as Error)?.stack ?? String(reason)}`));
    });
    process.on("unhandledRejection", onRejection);
    // The SDK records every resource's source position from an unbounded `new Error().stack`
    // (@pulumi/pulumi resource.js); under ts-node each such stack is mapped through source maps, which makes
    // half the plan's time. Mocks never read the positions, so V8's own formatting does for the run.
    const errors = Error as { prepareStackTrace?: unknown };
    const prepareStackTrace = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    try {
        return await Promise.race([planStack(stack, dir, mode, strict), failed]);
    } finally {
        errors.prepareStackTrace = prepareStackTrace;
        process.off("unhandledRejection", onRejection);
    }
}

async function planStack(stack: string, dir: string, mode: MockMode, strict: boolean): Promise<PlanOutcome> {
    let stackConfig;
    try {
        stackConfig = readStackFile(stack, dir);
    } catch (error) {
        // A missing stack file or broken YAML is the operator's to fix, like any config error.
        return { kind: "config-error", message: (error as Error).message };
    }
    pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);

    const registrations = new Map<string, Registration>();
    const recorder = new MockRecorder(DEFAULT_OUTPUTS, {}, mode);
    pulumi.runtime.setMocks({
        newResource: async args => {
            const result = await recorder.mocks.newResource(args);
            // An S3 bucket's id is its name on AWS; rules match attachments to buckets by it.
            const id = S3_BUCKET_TYPES.includes(args.type) ? String(result.state.bucket ?? result.id) : result.id;
            // Inputs as sent on the wire: secret markers stay on the leaves, as the engine and providers see them.
            const { wireInputs } = recorder.get(args.type, args.name);
            registrations.set(`${args.type}::${args.name}`, { inputs: wireInputs, outputs: result.state });
            return { id, state: result.state };
        },
        call: recorder.mocks.call,
    }, CONFIG_NAMESPACE, stack, mode === "empty-cluster-preview");
    // Mocks see inputs but not where they come from; the registration request carries it (the SDK's
    // prepareResource sends each input's dependencies, components expanded to their custom resources).
    recorder.tapMonitor();

    // Imported after the config and mocks are set, as the program would be under the CLI.
    const { FleetConfigError, loadFleetConfig } = await import("../components/config");
    let config;
    try {
        config = loadFleetConfig();
    } catch (error) {
        if (error instanceof FleetConfigError) return { kind: "config-error", message: error.message };
        throw error;
    }
    const { deployFleet } = await import("../components/fleet");

    const captures: Capture[] = [];
    const captureOf = new Map<pulumi.Resource, Capture>();
    const capture: pulumi.ResourceTransformation = args => {
        // Reads (`Resource.get`) are looked up, not managed: they are neither planned nor checked.
        if (args.opts.id !== undefined) return undefined;
        const parent = args.opts.parent ? captureOf.get(args.opts.parent) : undefined;
        const own = (args.opts as pulumi.ComponentResourceOptions).providers;
        const keyed = (list: pulumi.ProviderResource[]) => Object.fromEntries(list
            .map(p => [captureOf.get(p)?.type.replace(/^pulumi:providers:/, ""), p] as const)
            .filter((entry): entry is [string, pulumi.ProviderResource] => entry[0] !== undefined));
        const providers = {
            ...parent?.providers,
            ...(Array.isArray(own) ? keyed(own) : own),
            ...(args.opts.provider ? keyed([args.opts.provider]) : {}),
        };
        const custom = args.resource instanceof pulumi.CustomResource;
        const record: Capture = {
            type: args.type, name: args.name, custom, parent,
            // The SDK applies these defaults after transformations run, so the plan applies them itself.
            protect: args.opts.protect ?? parent?.protect ?? false,
            retainOnDelete: (args.opts as pulumi.CustomResourceOptions).retainOnDelete ?? false,
            ignoreChanges: args.opts.ignoreChanges ?? [],
            providers,
            provider: custom ? args.opts.provider ?? providers[packageOf(args.type)] : undefined,
            aliases: args.opts.aliases ?? [],
        };
        captures.push(record);
        captureOf.set(args.resource, record);
        return undefined;
    };

    const fleet = deployFleet(config, { transformations: [capture] });
    // Serialized as the engine would store them: every secret stays wrapped, so it can be shown as "[secret]".
    const serializedOutputs = await pulumi.runtime.serializeProperties("outputs", fleet.outputs);
    await pulumi.runtime.disconnect();

    const urnOf = new Map<Capture, string>();
    const urn = (c: Capture): string => {
        let known = urnOf.get(c);
        if (!known) {
            known = makeUrn(stack, c.type, c.name, c.parent && urn(c.parent));
            urnOf.set(c, known);
        }
        return known;
    };
    const providerCapture = (provider: pulumi.ProviderResource | undefined) => provider && captureOf.get(provider);
    const captureByKey = new Map(captures.map(c => [`${c.type}::${c.name}`, c]));
    const planUrnOf = (mockUrn: string) => {
        const found = captureByKey.get(keyOfUrn(mockUrn));
        return found ? urn(found) : mockUrn;
    };
    const resourceUrns = new Map<pulumi.Resource, string>([...captureOf].map(([resource, c]) => [resource, urn(c)]));
    const aliasesOf = new Map<Capture, string[]>();
    const aliasesFor = async (c: Capture): Promise<string[]> => {
        let known = aliasesOf.get(c);
        if (!known) {
            const own: AliasSpec[] = [];
            for (const input of c.aliases) {
                const alias = await plain(input);
                if (typeof alias === "string" || alias === undefined) {
                    if (alias) own.push(alias);
                    continue;
                }
                const parent = pulumi.Resource.isInstance(alias.parent) ? alias.parent : await plain(alias.parent);
                own.push({
                    name: await plain(alias.name), type: await plain(alias.type),
                    ...("parent" in alias ? { parentUrn: parent === undefined ? null : typeof parent === "string" ? parent : resourceUrns.get(parent) ?? null } : {}),
                });
            }
            known = aliasUrns(stack, { type: c.type, name: c.name, parentUrn: c.parent && urn(c.parent), parentName: c.parent?.name },
                own, c.parent ? await aliasesFor(c.parent) : []);
            aliasesOf.set(c, known);
        }
        return known;
    };
    for (const c of captures) await aliasesFor(c);

    const placeholders = stackConfig.securePaths.map(placeholderFor);
    // Secrets the program generates (cookie secrets, proxy tokens, CryptKeeper keys) must stay secret too.
    const generated = recorder.ofType(RANDOM_BYTES).map(r => String(DEFAULT_OUTPUTS[RANDOM_BYTES](r.name, r.inputs).hex));
    const violations: Violation[] = [];
    const resources: PlanResource[] = captures.map(c => {
        const registration = registrations.get(`${c.type}::${c.name}`);
        if (!registration) throw new Error(`${c.type} ${c.name} was constructed but never registered`);
        // What the state will hold: for a helm Release, what the provider's Check makes of the inputs.
        const stored = c.type === HELM_RELEASE ? checkRelease(registration.inputs) : registration.inputs;
        for (const leak of plaintextSecrets(stored, [...placeholders, ...generated])) {
            violations.push({
                policy: SECRET_LEAK_POLICY, enforcementLevel: "mandatory", urn: urn(c),
                message: `${c.type.split(":").pop()} "${c.name}" input ${leak} would be stored in plain text but carries a secret: ` +
                    "deliver it as a secret leaf (pulumi.secret() where it is built; for helm, in values, never in valueYamlFiles)",
            });
        }
        const provider = providerCapture(c.provider);
        const providerRegistration = provider && registrations.get(`${provider.type}::${provider.name}`);
        return {
            urn: urn(c), type: c.type, name: c.name, custom: c.custom,
            inputs: unwrapSecrets(registration.inputs) as Record<string, unknown>,
            outputs: unwrapSecrets(registration.outputs) as Record<string, unknown>,
            shownInputs: sortKeysDeep(redact(registration.inputs, placeholders)) as Record<string, unknown>,
            protect: c.protect, retainOnDelete: c.retainOnDelete, ignoreChanges: [...c.ignoreChanges],
            propertyDependencies: Object.fromEntries(Object.entries(recorder.sent.get(`${c.type}::${c.name}`)?.propertyDependencies ?? {})
                .map(([key, urns]) => [key, [...new Set(urns.map(planUrnOf))].sort()])),
            aliases: aliasesOf.get(c) ?? [],
            ...(c.parent ? { parentUrn: urn(c.parent) } : {}),
            ...(provider && providerRegistration ? {
                provider: {
                    urn: urn(provider), type: provider.type, name: provider.name,
                    props: unwrapSecrets(providerRegistration.inputs) as Record<string, unknown>,
                },
            } : {}),
        };
    }).sort((a, b) => a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0);

    for (const leak of plaintextSecrets(serializedOutputs, [...placeholders, ...generated])) {
        violations.push({
            policy: SECRET_LEAK_POLICY, enforcementLevel: "mandatory",
            message: `stack output ${leak} carries a secret from the stack config in plain text: export it with pulumi.secret()`,
        });
    }
    violations.unshift(...await evaluatePolicies(rules, resources, readPolicyConfig(stack)));
    for (const { cluster, group, member } of strandedGroupMembers(config)) {
        violations.push({
            policy: STRANDED_MEMBER_POLICY, enforcementLevel: strict ? "mandatory" : "advisory",
            message: `clusters.${cluster}.accessGroups.${group}: ${member} cannot log into any hub on cluster ${cluster}, ` +
                "yet gets an OVH user and S3 keys: fix the login, add it to a hub's allowedUsers, or remove it from the group",
        });
    }
    return {
        kind: "plan",
        plan: { stack, resources, outputs: sortKeysDeep(redact(serializedOutputs, placeholders)), violations },
    };
}
