/**
 * How the offline plan reads to people: its JSON form (also what a parent process reads from a child
 * plan), the per-cluster / per-hub listing, and the comparison with a base ref that becomes the pull
 * request summary. Pure functions of plan JSON.
 */
import { Violation } from "../policies/evaluate";
import { sortKeysDeep } from "../components/util";
import { Plan } from "./planRun";

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

/**
 * Inputs whose change replaces a storage resource (a new bucket, file system or volume, the old one
 * deleted): the providers mark them force-new, and Kubernetes refuses to update them in place.
 */
const REPLACING_INPUTS: Record<string, readonly string[]> = {
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "gcp:storage/bucket:Bucket": ["name", "location", "project"],
    "aws:efs/fileSystem:FileSystem": ["creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"],
    "gcp:filestore/instance:Instance": ["name", "tier", "location", "project", "networks", "fileShares.name"],
    "kubernetes:core/v1:PersistentVolume": ["metadata.name", "spec.csi", "spec.nfs", "spec.storageClassName"],
    "kubernetes:storage.k8s.io/v1:StorageClass": ["metadata.name", "provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
};

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
}

export interface PlanDiff {
    readonly adds: readonly ResourceChange[];
    readonly changes: readonly ResourceChange[];
    readonly removes: readonly ResourceChange[];
    /** Deletions, replacements and unprotections of protected storage. */
    readonly alerts: readonly string[];
}

/** Managed resources added, changed and removed between `base` (undefined: the stack is new) and `head`, by URN. */
export function diffPlans(base: PlanJson | undefined, head: PlanJson): PlanDiff {
    const baseResources = (base?.resources ?? []).filter(r => r.custom);
    const headResources = head.resources.filter(r => r.custom);
    const baseByUrn = new Map((base?.resources ?? []).map(r => [r.urn, r]));
    const headByUrn = new Map(head.resources.map(r => [r.urn, r]));
    const managedBase = new Map(baseResources.map(r => [r.urn, r]));
    const alerts: string[] = [];
    const adds = headResources.filter(r => !managedBase.has(r.urn)).map(r => ({ resource: r, owner: ownerLabel(r, headByUrn), paths: [] }));
    const removes = baseResources.filter(r => !headByUrn.has(r.urn)).map(r => ({ resource: r, owner: ownerLabel(r, baseByUrn), paths: [] }));
    const changes: ResourceChange[] = [];
    for (const after of headResources) {
        const before = managedBase.get(after.urn);
        if (!before) continue;
        const paths = [
            ...changedPaths(before.inputs, after.inputs),
            ...(["protect", "retainOnDelete"] as const).filter(option => before[option] !== after[option]).map(option => `(${option})`),
        ];
        if (paths.length === 0) continue;
        changes.push({ resource: after, owner: ownerLabel(after, headByUrn), paths });
        if (before.protect && !after.protect) alerts.push(`unprotects ${shortType(after.type)} "${after.name}" (${after.urn})`);
        const replacing = paths.filter(p => (REPLACING_INPUTS[after.type] ?? []).some(input => p === input || p.startsWith(`${input}.`) || p.startsWith(`${input}[`)));
        if (before.protect && replacing.length > 0) {
            alerts.push(`replaces protected ${shortType(after.type)} "${after.name}" (changed ${replacing.join(", ")}): ` +
                "pulumi up will refuse; revert the change, or migrate the data to a new resource first");
        }
    }
    for (const { resource } of removes.filter(r => r.resource.protect)) {
        alerts.push(`deletes protected ${shortType(resource.type)} "${resource.name}" (${resource.urn}): pulumi up will refuse; ` +
            "if it was renamed or moved, add an alias to its old URN, and only unprotect it to really delete its data");
    }
    return { adds, changes, removes, alerts };
}

const MAX_PATHS = 6;

function describeChange(change: ResourceChange, withPaths: boolean): string {
    const { resource, paths } = change;
    const shown = paths.slice(0, MAX_PATHS).join(", ") + (paths.length > MAX_PATHS ? `, +${paths.length - MAX_PATHS} more` : "");
    return `${shortType(resource.type)} ${resource.name}${withPaths ? ` (${shown})` : ""}`;
}

/** The pull request summary (Markdown): what changes per cluster and hub, alerts, the head's policy verdict, the full listing. */
export function renderDiff(diff: PlanDiff, head: PlanJson, baseRef: string, baseNote?: string): string {
    const owners = [...new Set([...diff.adds, ...diff.changes, ...diff.removes].map(c => c.owner))].sort();
    const lines = [`### Offline plan: ${head.stack} (compared with ${baseRef})`, ""];
    if (baseNote) lines.push(`_${baseNote}_`, "");
    for (const owner of owners) {
        const parts = ([["adds", diff.adds], ["changes", diff.changes], ["removes", diff.removes]] as const)
            .map(([verb, list]) => [verb, list.filter(c => c.owner === owner)] as const)
            .filter(([, list]) => list.length > 0)
            .map(([verb, list]) => `${verb} ${list.map(c => describeChange(c, verb === "changes")).join(", ")}`);
        lines.push(`- **${owner}**: ${parts.join("; ")}`);
    }
    if (owners.length === 0) lines.push("No resource changes.");
    if (diff.alerts.length > 0) {
        lines.push("", "**Protected storage:**", ...diff.alerts.map(alert => `- :warning: ${alert}`));
    }
    const { mandatory, advisory } = countViolations(head.violations);
    lines.push("", `**Policy:** ${mandatory} mandatory, ${advisory} advisory violation${mandatory + advisory === 1 ? "" : "s"}`);
    lines.push(...violationLines(head.violations, v => `- ${v.enforcementLevel === "mandatory" ? ":x:" : ":warning:"} `));
    lines.push("", `<details><summary>All resources of ${head.stack}</summary>`, "", "```text", renderText(head).trimEnd(), "```", "</details>", "");
    return lines.join("\n");
}
