/**
 * How the offline plan reads to people: its JSON form (also what a parent process reads from a child
 * plan), the per-cluster / per-hub listing, and the comparison with a base ref that becomes the pull
 * request summary. Pure functions of plan JSON.
 */
import { homeStorageAlerts } from "./homeStorageDiff";
import { Violation } from "../policies/evaluate";
import { sortKeysDeep } from "../components/util";
import { Plan } from "./planRun";
import type { Replacement, ReplacementTable } from "./replacementTable";
import replacementTable from "./replacements.json";

/** One resource in the plan's JSON. */
export interface PlanJsonResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly custom: boolean;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    /** Inputs, every secret shown as "[secret]". */
    readonly inputs: Record<string, unknown>;
    /** URN of the provider resource that manages it (custom resources with an explicit provider). */
    readonly provider?: string;
    /** Input name -> URNs of the resources its value comes from. */
    readonly dependencies?: Readonly<Record<string, readonly string[]>>;
    /** Other URNs the engine matches it by (aliases, its own and inherited). */
    readonly aliases?: readonly string[];
    /** Inputs whose changes the engine ignores (it sends their old values). */
    readonly ignoreChanges?: readonly string[];
}

/** `npm run plan -- --json` output. */
export interface PlanJson {
    readonly stack: string;
    readonly resources: readonly PlanJsonResource[];
    readonly outputs: unknown;
    readonly violations: readonly Violation[];
}

export function toPlanJson(plan: Plan): PlanJson {
    return {
        stack: plan.stack,
        resources: plan.resources.map(r => ({
            urn: r.urn, type: r.type, name: r.name, ...(r.parentUrn ? { parent: r.parentUrn } : {}),
            custom: r.custom, protect: r.protect, retainOnDelete: r.retainOnDelete, inputs: r.shownInputs,
            ...(r.provider ? { provider: r.provider.urn } : {}),
            ...(Object.keys(r.propertyDependencies).length > 0 ? { dependencies: r.propertyDependencies } : {}),
            ...(r.aliases.length > 0 ? { aliases: r.aliases } : {}),
            ...(r.ignoreChanges.length > 0 ? { ignoreChanges: r.ignoreChanges } : {}),
        })),
        outputs: plan.outputs,
        violations: plan.violations,
    };
}

/** Deterministic JSON: sorted keys, resources already sorted by URN. */
export function renderJson(plan: PlanJson): string {
    return `${JSON.stringify(sortKeysDeep(plan), null, 2)}\n`;
}

/**
 * `PersistentVolume`, `Provider(kubernetes)`; types whose last part is shared by another (GCP has an
 * IAMMember in several modules) keep their module: `serviceaccount.IAMMember`.
 */
function shortType(type: string): string {
    const provider = /^pulumi:providers:(.+)$/.exec(type);
    if (provider) return `Provider(${provider[1]})`;
    const [, module = "", name = type] = /^[^:]+:([^:/]+)(?:\/[^:]*)?:(.+)$/.exec(type) ?? [];
    return AMBIGUOUS_TYPE_NAMES.has(name) ? `${module}.${name}` : name;
}

/** Last type parts that several of the clouds' modules use. */
const AMBIGUOUS_TYPE_NAMES = new Set(["IAMMember", "IAMBinding", "IAMPolicy", "Cluster", "Bucket"]);

/** The top-level component a resource belongs to, as "hub <name>" or "cluster <name> (<platform>)". */
function ownerLabel(resource: PlanJsonResource, byUrn: ReadonlyMap<string, PlanJsonResource>): string {
    let root = resource;
    while (root.parent && byUrn.has(root.parent)) root = byUrn.get(root.parent)!;
    if (root.type === "jupyterhub:hub:Hub") return `hub ${root.name}`;
    const cluster = /^jupyterhub:([a-z]+):Cluster$/.exec(root.type);
    return cluster ? `cluster ${root.name} (${cluster[1]})` : `${shortType(root.type)} ${root.name}`;
}

function byOwner(resources: readonly PlanJsonResource[], byUrn: ReadonlyMap<string, PlanJsonResource>): Map<string, PlanJsonResource[]> {
    const groups = new Map<string, PlanJsonResource[]>();
    for (const resource of resources) {
        const owner = ownerLabel(resource, byUrn);
        groups.set(owner, [...(groups.get(owner) ?? []), resource]);
    }
    return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/** A release is described by its chart and version, which is what reviewers look for. */
function describeType(type: string, members: readonly PlanJsonResource[]): string {
    const count = members.length > 1 ? `${members.length} ` : "";
    if (type === "kubernetes:helm.sh/v3:Release") {
        return members.map(m => `Release ${m.inputs.chart} ${m.inputs.version}`).join(", ");
    }
    return `${count}${shortType(type)}`;
}

/** `name` -> members by type, in the order the types first appear. */
function byType(resources: readonly PlanJsonResource[]): Map<string, PlanJsonResource[]> {
    const types = new Map<string, PlanJsonResource[]>();
    for (const resource of resources) types.set(resource.type, [...(types.get(resource.type) ?? []), resource]);
    return types;
}

function violationLines(violations: readonly Violation[], bullet: (v: Violation) => string): string[] {
    return violations.map(v => `${bullet(v)}${v.policy}: ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
}

export function countViolations(violations: readonly Violation[]): { mandatory: number; advisory: number } {
    const mandatory = violations.filter(v => v.enforcementLevel === "mandatory").length;
    return { mandatory, advisory: violations.length - mandatory };
}

/** The plan for people: every cluster and hub with its resources by type, then the policy verdict. */
export function renderText(plan: PlanJson): string {
    const byUrn = new Map(plan.resources.map(r => [r.urn, r]));
    const managed = plan.resources.filter(r => r.custom);
    const lines = [`Offline plan of stack ${plan.stack}: ${managed.length} resources ` +
        "(mocked providers, no credentials; secure values are placeholders)", ""];
    for (const [owner, members] of byOwner(managed, byUrn)) {
        const types = byType(members);
        lines.push(`${owner}: ${[...types].map(([type, of]) => describeType(type, of)).join(", ")}`);
        for (const [type, of] of types) {
            const names = of.map(m => `${m.name}${m.protect ? " (protected)" : ""}`).join(", ");
            lines.push(`    ${shortType(type)}${of.length > 1 ? ` ×${of.length}` : ""}: ${names}`);
        }
    }
    const { mandatory, advisory } = countViolations(plan.violations);
    lines.push("", `Policy: ${mandatory} mandatory, ${advisory} advisory violation${mandatory + advisory === 1 ? "" : "s"}`);
    lines.push(...violationLines(plan.violations, v => `  ${v.enforcementLevel.padEnd(9)} `));
    lines.push("", mandatory > 0 ? `BLOCKED: ${mandatory} mandatory policy violation${mandatory === 1 ? "" : "s"}` : "OK");
    return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Comparison with a base ref

const TABLE = replacementTable as ReplacementTable;
/** How plan JSON shows a secret (planRun's REDACTED, repeated so this module stays free of the Pulumi runtime). */
const REDACTED_VALUE = "[secret]";

/**
 * What replaces a provider resource, and so every resource it manages: the engine replaces those when the
 * provider's DiffConfig says so.
 * - kubernetes: with `clusterIdentifier`, only a change of it; without, a different cluster, context or
 *   kubeconfig (@pulumi/kubernetes provider.d.ts, `clusterIdentifier`).
 * - aws: `region` (pulumi/pulumi-aws#4000 marks it ForcesProviderReplace).
 * - gcp: `project`: every resource that takes its project from the provider has a ForceNew `project`
 *   defaulted from it (terraform-provider-google, tpgresource.DefaultProviderProject).
 */
export function providerReplacingInputs(resource: PlanJsonResource): readonly string[] {
    switch (resource.type) {
        case "pulumi:providers:kubernetes":
            return resource.inputs.clusterIdentifier !== undefined ? ["clusterIdentifier"] : ["cluster", "context", "kubeconfig"];
        case "pulumi:providers:aws": return ["region"];
        case "pulumi:providers:gcp": return ["project"];
        default: return [];
    }
}

/** The replacement rules of a resource: the table for its type, or its provider's rule. */
function rulesOf(resource: PlanJsonResource): Replacement {
    return resource.type.startsWith("pulumi:providers:") ? { replace: providerReplacingInputs(resource) } : TABLE.types[resource.type] ?? { replace: [] };
}

/** Clusters: replacing or deleting one loses everything on it, which no `protect` inside it can stop. */
const CLUSTER_TYPES: Readonly<Record<string, string>> = {
    "aws:eks/cluster:Cluster": "the EKS cluster and everything on it",
    "gcp:container/cluster:Cluster": "the GKE cluster and everything on it",
    // The SDK's own words for Kube.privateNetworkId: "recreates the resource, including ETCD user data".
    "ovh:CloudProject/kube:Kube": "the cluster and everything on it, including ETCD user data",
};

/** A path without list indexes, as the replacement table writes them: `fileShares[0].name` -> `fileShares.name`. */
function withoutIndexes(path: string): string {
    return path.replace(/\[\d+\]/g, "");
}

/** Whether a changed input `path` touches the input `entry` names (one contains the other). */
function touches(entry: string, path: string): boolean {
    const p = withoutIndexes(path);
    return p === entry || p.startsWith(`${entry}.`) || entry.startsWith(`${p}.`);
}

/** Paths at which two JSON values differ; a list that changed length counts as one change of the list. */
export function changedPaths(before: unknown, after: unknown, at = ""): string[] {
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const bothObjects = before && after && typeof before === "object" && typeof after === "object";
    if (!bothObjects || Array.isArray(before) !== Array.isArray(after)) return [at || "(value)"];
    if (Array.isArray(before) && Array.isArray(after)) {
        if (before.length !== after.length) return [at || "(value)"];
        return before.flatMap((item, i) => changedPaths(item, after[i], `${at}[${i}]`));
    }
    const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
    return keys.flatMap(key => changedPaths((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key],
        at ? `${at}.${key}` : key));
}

export interface ResourceChange {
    readonly resource: PlanJsonResource;
    readonly owner: string;
    /** Changed input paths, plus `(protect)` / `(retainOnDelete)` when an option changed. */
    readonly paths: readonly string[];
    /** Why the engine will replace it, when it will. */
    readonly replacedBecause?: string;
}

export interface PlanDiff {
    readonly adds: readonly ResourceChange[];
    /** Updated in place. */
    readonly changes: readonly ResourceChange[];
    /** Deleted and created again (`replacedBecause` says why). */
    readonly replaces: readonly ResourceChange[];
    readonly removes: readonly ResourceChange[];
    /** Stored data deleted or replaced, protection lost, updates `pulumi up` will fail on. */
    readonly alerts: readonly string[];
    /** Renames without `renamedFrom`: a component of one type removed while another of the same type appears. */
    readonly renames: readonly string[];
}

/** Namespaces whose hub keeps users' homes as dynamic claims in them: deleting one deletes those claims. */
function userVolumeNamespaces(plan: PlanJson): Set<string> {
    return new Set(plan.resources
        .filter(r => r.type === "kubernetes:helm.sh/v3:Release"
            && (r.inputs.values as { singleuser?: { storage?: { type?: string } } } | undefined)?.singleuser?.storage?.type === "dynamic")
        .map(r => String(r.inputs.namespace)));
}

/** What a deletion or replacement of `resource` loses beyond the resource itself, if anything. */
function dataLost(resource: PlanJsonResource, userNamespaces: ReadonlySet<string>): string | undefined {
    if (CLUSTER_TYPES[resource.type]) return CLUSTER_TYPES[resource.type];
    if (resource.type === "kubernetes:core/v1:Namespace" && userNamespaces.has(String((resource.inputs.metadata as { name?: unknown })?.name))) {
        return "every object in the namespace: users' home volume claims and the hub database";
    }
    if (resource.type.startsWith("pulumi:providers:")) return "every resource it manages is deleted and created again";
    return undefined;
}

const RENAME_FIELDS: Readonly<Record<string, string>> = { "jupyterhub:hub:Hub": "hubs" };

function renameField(type: string): string | undefined {
    return RENAME_FIELDS[type] ?? (/^jupyterhub:[a-z]+:Cluster$/.test(type) ? "clusters" : undefined);
}

/**
 * Managed resources added, changed, replaced and removed between `base` (undefined: the stack is new) and
 * `head`. Resources are matched by URN or by an alias of the head's (what the engine does); a change
 * replaces a resource when it touches an input the replacement table lists for its type, when its
 * provider is replaced, or when such an input comes from a resource that is replaced (its outputs are
 * unknown until the new one exists, so the provider must plan a replacement too).
 */
export function diffPlans(base: PlanJson | undefined, head: PlanJson): PlanDiff {
    const baseByUrn = new Map((base?.resources ?? []).map(r => [r.urn, r]));
    const headByUrn = new Map(head.resources.map(r => [r.urn, r]));
    const matched = new Map<PlanJsonResource, PlanJsonResource>();
    for (const after of head.resources) {
        const before = [after.urn, ...after.aliases ?? []].map(urn => baseByUrn.get(urn)).find(Boolean);
        if (before) matched.set(after, before);
    }
    const matchedBase = new Set(matched.values());
    const adds = head.resources.filter(r => r.custom && !matched.has(r)).map(r => ({ resource: r, owner: ownerLabel(r, headByUrn), paths: [] }));
    const removes = (base?.resources ?? []).filter(r => r.custom && !matchedBase.has(r))
        .map(r => ({ resource: r, owner: ownerLabel(r, baseByUrn), paths: [] }));

    const baseOf = (after: PlanJsonResource) => matched.get(after)!;
    // Changed inputs; the engine sends the old value of an ignored input (ignoreChanges), so it does not change.
    const changedOf = new Map<PlanJsonResource, string[]>();
    for (const [after, before] of matched) {
        if (!after.custom) continue;
        const ignored = after.ignoreChanges ?? [];
        changedOf.set(after, changedPaths(before.inputs, after.inputs).filter(path => !ignored.some(entry => touches(entry, path))));
    }
    const replaced = replacements(changedOf, baseOf, baseByUrn, headByUrn);

    const renames = renameCandidates(base, head, matched);
    /** Rename advice for a base resource whose component (hub or cluster) disappeared while one of its type appeared. */
    const hintFor = (resource: PlanJsonResource) => {
        const root = rootOf(resource, baseByUrn);
        const hints = renames.filter(r => r.type === root.type && r.from === root.name).map(r => r.advice);
        return hints.length > 0 ? ` (${hints.join("; ")})` : "";
    };
    const alertsOfHomes = homeStorageAlerts([...matched].map(([after, before]) => [before, after] as const));
    const userNamespacesBefore = userVolumeNamespaces(base ?? head);
    const userNamespacesAfter = userVolumeNamespaces(head);
    const alerts: string[] = [...alertsOfHomes];
    const changes: ResourceChange[] = [];
    for (const [after, changed] of changedOf) {
        const old = baseOf(after);
        const paths = [
            ...changed,
            ...(["protect", "retainOnDelete"] as const).filter(option => old[option] !== after[option]).map(option => `(${option})`),
            ...(old.provider !== after.provider && old.provider && after.provider ? [`(provider ${old.provider.split("::").pop()} -> ${after.provider.split("::").pop()})`] : []),
        ];
        const replacedBecause = replaced.get(after.urn);
        if (paths.length === 0 && !replacedBecause) continue;
        changes.push({ resource: after, owner: ownerLabel(after, headByUrn), paths, ...(replacedBecause ? { replacedBecause } : {}) });
        if (old.protect && !after.protect) alerts.push(`unprotects ${describe(after)} (${after.urn})`);
        if (replacedBecause) {
            const lost = dataLost(after, new Set([...userNamespacesBefore, ...userNamespacesAfter]));
            // Moved to another cluster's provider: the advice is about the cluster the old provider belonged to.
            const oldProvider = old.provider !== after.provider && old.provider ? baseByUrn.get(old.provider) : undefined;
            const hint = oldProvider && !headByUrn.has(oldProvider.urn) ? hintFor(oldProvider) : "";
            if (old.protect) {
                // What would be lost, where the plan knows (a cluster's ETCD data, users' claims), then the refusal.
                alerts.push(`replaces protected ${describe(after)} (${replacedBecause})${lost ? `: ${lost}` : ""}: pulumi up will refuse; ` +
                    `revert the change, or migrate the data to a new resource first${hint}`);
            } else if (lost) {
                alerts.push(`replaces ${describe(after)} (${replacedBecause}): ${lost}${hint}`);
            }
        }
        const refused = changed.filter(path => (rulesOf(after).immutable ?? []).some(entry => touches(entry, path)));
        if (refused.length > 0) {
            alerts.push(`changes ${refused.join(", ")} of ${describe(after)}, which Kubernetes refuses to change in place: pulumi up will fail there`);
        }
    }

    for (const { resource } of removes) {
        const hint = hintFor(resource);
        // A provider that goes away holds nothing: its resources are reported as removed or moved.
        const lost = resource.type.startsWith("pulumi:providers:") ? undefined : dataLost(resource, userNamespacesBefore);
        if (resource.protect) {
            alerts.push(`deletes protected ${describe(resource)} (${resource.urn}): pulumi up will refuse; ` +
                `if it was renamed or moved, keep its URN with an alias${hint}, and only unprotect it to really delete its data`);
        } else if (lost) {
            alerts.push(`deletes ${describe(resource)}: ${lost}${hint}`);
        }
    }
    return {
        adds, changes: changes.filter(c => !c.replacedBecause), replaces: changes.filter(c => c.replacedBecause), removes, alerts,
        renames: renames.map(r => r.advice),
    };
}

/** The value at a dotted path, looking through lists (`fileShares.name` in `{ fileShares: [{ name }] }`). */
function valueAt(value: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((at, key) => Array.isArray(at)
        ? at.map(item => (item as Record<string, unknown> | undefined)?.[key])
        : (at as Record<string, unknown> | undefined)?.[key], value);
}

function leaves(value: unknown): unknown[] {
    if (Array.isArray(value)) return value.flatMap(leaves);
    if (value && typeof value === "object") return Object.values(value).flatMap(leaves);
    return value === undefined ? [] : [value];
}

/**
 * Whether `value` holds something `resource` computes rather than echoes from its inputs (an id, an ARN,
 * an address). A replacement's computed outputs are unknown until the new resource exists, so an input
 * built from one is unknown at preview and its provider must plan for any value; outputs that merely
 * repeat an input (a Kubernetes object's name) stay known.
 */
function computedBy(value: unknown, resource: PlanJsonResource): boolean {
    const echoed = new Set(leaves(resource.inputs).map(leaf => JSON.stringify(leaf)));
    return leaves(value).some(leaf => leaf !== REDACTED_VALUE && !echoed.has(JSON.stringify(leaf)));
}

/**
 * Why a resource whose provider reference changed (a cluster key renamed, a hub moved to another cluster)
 * is replaced, if it is: the engine asks the new provider's DiffConfig to compare the old provider's config
 * with its own, and replaces the resource when that says replace (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, `providerChanged`).
 */
function providerMove(before: PlanJsonResource, after: PlanJsonResource,
    baseByUrn: ReadonlyMap<string, PlanJsonResource>, headByUrn: ReadonlyMap<string, PlanJsonResource>): string | undefined {
    if (!before.provider || !after.provider || before.provider === after.provider) return undefined;
    const oldProvider = baseByUrn.get(before.provider);
    const newProvider = headByUrn.get(after.provider);
    if (!oldProvider || !newProvider || newProvider.aliases?.includes(oldProvider.urn)) return undefined;
    const differs = providerReplacingInputs(newProvider)
        .filter(input => JSON.stringify(oldProvider.inputs[input]) !== JSON.stringify(newProvider.inputs[input]));
    return differs.length > 0
        ? `it moves from provider ${describe(oldProvider)} to ${describe(newProvider)}, whose ${differs.join(", ")} differs`
        : undefined;
}

/**
 * URN -> why the engine will replace it, for every changed resource it will replace, until nothing more
 * follows: a change to an input that replaces it, its provider replaced, a move to a provider for another
 * cluster, or a replacing input built from a replaced resource's computed outputs.
 */
function replacements(changedOf: ReadonlyMap<PlanJsonResource, readonly string[]>, baseOf: (after: PlanJsonResource) => PlanJsonResource,
    baseByUrn: ReadonlyMap<string, PlanJsonResource>, headByUrn: ReadonlyMap<string, PlanJsonResource>): Map<string, string> {
    const replaced = new Map<string, string>();
    for (let grew = true; grew;) {
        grew = false;
        for (const [after, changed] of changedOf) {
            if (replaced.has(after.urn)) continue;
            const { replace } = rulesOf(after);
            const direct = changed.filter(path => replace.some(entry => touches(entry, path)));
            const provider = after.provider && replaced.has(after.provider) ? headByUrn.get(after.provider) : undefined;
            const fed = Object.entries(after.dependencies ?? {}).flatMap(([input, urns]) => urns
                .filter(urn => replaced.has(urn))
                .flatMap(urn => replace
                    .filter(entry => (entry === input || entry.startsWith(`${input}.`)) && computedBy(valueAt(after.inputs, entry), headByUrn.get(urn)!))
                    .map(entry => `${entry} comes from ${describe(headByUrn.get(urn)!)}, which is replaced`)));
            const reason = direct.length > 0 ? `changed ${direct.join(", ")}`
                : provider ? `its provider ${describe(provider)} is replaced`
                    : providerMove(baseOf(after), after, baseByUrn, headByUrn) ?? fed[0];
            if (reason) {
                replaced.set(after.urn, reason);
                grew = true;
            }
        }
    }
    return replaced;
}

/** `Kube "gfts-kube"`. */
function describe(resource: PlanJsonResource): string {
    return `${shortType(resource.type)} "${resource.name}"`;
}

/** The top-level component (a hub or a cluster) a resource belongs to. */
function rootOf(resource: PlanJsonResource, byUrn: ReadonlyMap<string, PlanJsonResource>): PlanJsonResource {
    let root = resource;
    while (root.parent && byUrn.has(root.parent)) root = byUrn.get(root.parent)!;
    return root;
}

interface RenameCandidate {
    readonly type: string;
    readonly from: string;
    readonly advice: string;
}

/** Each top-level component removed while one of the same type appears: maybe a rename, and how to keep its resources. */
function renameCandidates(base: PlanJson | undefined, head: PlanJson, matched: ReadonlyMap<PlanJsonResource, PlanJsonResource>): RenameCandidate[] {
    const matchedBase = new Set(matched.values());
    const roots = (plan: PlanJson | undefined) => (plan?.resources ?? []).filter(r => !r.parent && renameField(r.type));
    const removed = roots(base).filter(r => !matchedBase.has(r));
    const added = roots(head).filter(r => !matched.has(r));
    return removed.flatMap(old => added.filter(r => r.type === old.type).map(now => {
        const field = `${renameField(now.type)}.${now.name}`;
        return { type: old.type, from: old.name, advice: `if ${field} is ${old.name} renamed, set ${field}.renamedFrom: ${old.name}` };
    }));
}
const MAX_PATHS = 6;

function describeChange(change: ResourceChange, verb: "adds" | "changes" | "replaces" | "removes"): string {
    const { resource, paths } = change;
    const shown = paths.slice(0, MAX_PATHS).join(", ") + (paths.length > MAX_PATHS ? `, +${paths.length - MAX_PATHS} more` : "");
    const detail = verb === "changes" ? ` (${shown})` : verb === "replaces" ? ` (${change.replacedBecause})` : "";
    return `${shortType(resource.type)} ${resource.name}${detail}`;
}

/** The pull request summary (Markdown): what changes per cluster and hub, alerts, the head's policy verdict, the full listing. */
export function renderDiff(diff: PlanDiff, head: PlanJson, baseRef: string, baseNote?: string): string {
    const verbs = [["adds", diff.adds], ["changes", diff.changes], ["replaces", diff.replaces], ["removes", diff.removes]] as const;
    const owners = [...new Set(verbs.flatMap(([, list]) => list.map(c => c.owner)))].sort();
    const lines = [`### Offline plan: ${head.stack} (compared with ${baseRef})`, ""];
    if (baseNote) lines.push(`_${baseNote}_`, "");
    for (const owner of owners) {
        const parts = verbs
            .map(([verb, list]) => [verb, list.filter(c => c.owner === owner)] as const)
            .filter(([, list]) => list.length > 0)
            .map(([verb, list]) => `${verb} ${list.map(c => describeChange(c, verb)).join(", ")}`);
        lines.push(`- **${owner}**: ${parts.join("; ")}`);
    }
    if (owners.length === 0) lines.push("No resource changes.");
    if (diff.alerts.length > 0) {
        lines.push("", "**Stored data at risk:**", ...diff.alerts.map(alert => `- :warning: ${alert}`));
    }
    if (diff.renames.length > 0) {
        lines.push("", "**Renamed?**", ...diff.renames.map(rename => `- ${rename} to keep every resource`));
    }
    const { mandatory, advisory } = countViolations(head.violations);
    lines.push("", `**Policy:** ${mandatory} mandatory, ${advisory} advisory violation${mandatory + advisory === 1 ? "" : "s"}`);
    lines.push(...violationLines(head.violations, v => `- ${v.enforcementLevel === "mandatory" ? ":x:" : ":warning:"} `));
    lines.push("", `<details><summary>All resources of ${head.stack}</summary>`, "", "```text", renderText(head).trimEnd(), "```", "</details>", "");
    return lines.join("\n");
}
