/**
 * Which input changes replace a resource, for every resource type the fleet creates, read from the installed
 * SDKs: `npx ts-node -T scripts/replacementTable.ts` rewrites scripts/replacements.json (committed), and
 * tests/replacements.test.ts fails when the file no longer matches the SDKs in node_modules or the types
 * the components create. The offline plan's `--base` reads the file (planReport.ts).
 *
 * Sources, per package:
 * - @pulumi/aws, @pulumi/gcp, @ovhcloud/pulumi-ovh, @pulumi/random: the doc comment of each input in the
 *   resource's `<Class>Args` interface and of the nested input types under it ("Changing this forces a new
 *   resource", "**Changing this value recreates the resource.**", "Forces replacement", ...). These SDKs are
 *   generated from the Terraform providers' schemas, whose ForceNew flags write those sentences; a field
 *   whose doc says nothing is not listed, so KNOWN below adds what the providers are known to replace
 *   without saying so.
 * - @pulumi/kubernetes: its SDK says nothing about replacement; the provider decides in Go. KUBERNETES
 *   copies its table (pulumi/pulumi-kubernetes, provider/pkg/provider/diff.go `forceNew` and
 *   `metadataForceNewProperties`, v1 kinds; helm_release.go `forceNewFields` for Release), and adds the
 *   fields the API server refuses to change at all (kubernetes/kubernetes,
 *   pkg/apis/storage/validation `ValidateStorageClassUpdate`, pkg/apis/core/validation
 *   `ValidatePersistentVolumeUpdate`), which make `pulumi up` fail instead.
 * - Provider resources (`pulumi:providers:*`) are not listed: what replaces a provider, and with it every
 *   resource it manages, is in planReport.ts (`providerReplacingInputs`).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { sortKeysDeep } from "../components/util";

/** What changes do to one resource type. Paths are dotted, without list indexes. */
export interface Replacement {
    /** Inputs whose change replaces the resource (delete and create, or create then delete). */
    readonly replace: readonly string[];
    /** Inputs the API refuses to change in place and the provider does not replace for: `pulumi up` fails. */
    readonly immutable?: readonly string[];
}

export interface ReplacementTable {
    /** The SDK packages read, with their versions. */
    readonly sdks: Readonly<Record<string, string>>;
    readonly types: Readonly<Record<string, Replacement>>;
}

const ROOT = path.resolve(__dirname, "..");
export const TABLE_FILE = path.join(__dirname, "replacements.json");

/** The sentences the providers' docs use for a force-new input, as found in the installed SDKs. */
const FORCE_NEW = new RegExp([
    "forces? (?:a )?(?:new resource|replacement|recreation)",
    "forces? new resource",
    "recreates? the (?:resource|subnet)",
    "(?:will )?(?:create|creates|creating) (?:a )?new resource",
    "requires creating a new resource",
    "will force (?:terraform|Terraform) to create (?:a )?new resource",
    "will trigger recreation",
    "causes resource replacement",
    "force recreation of the resource",
].join("|"), "i");

/** "Can be updated without creating a new resource" (a GCP service account's displayName). */
const UPDATES_IN_PLACE = /without (?:creating|forcing|recreating)/i;

/**
 * Kubernetes: every kind is replaced when its name or namespace changes; the kinds below also for these
 * fields (the provider's `forceNew` table; containers and label selectors as it expands them), or cannot
 * change them at all (`immutable`: the API server refuses, and the provider does not replace for them).
 */
const KUBERNETES_METADATA = ["metadata.name", "metadata.namespace"];
const KUBERNETES: Readonly<Record<string, Replacement>> = (() => {
    const selector = (at: string) => [at, `${at}.matchExpressions`, `${at}.matchLabels`];
    const containers = ["args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports", "readinessProbe",
        "resources", "securityContext", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty",
        "volumeDevices", "volumeMounts", "workingDir"].flatMap(field => [`spec.containers.${field}`, `spec.initContainers.${field}`]);
    const pvSources = ["awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
        "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte",
        "rbd", "scaleIO", "storageos", "vsphereVolume"].map(source => `spec.${source}`);
    const job = ["spec.completions", "spec.parallelism", ...selector("spec.selector"), "spec.template"];
    const statefulSet = ["spec.podManagementPolicy", "spec.revisionHistoryLimit", ...selector("spec.selector"), "spec.serviceName", "spec.volumeClaimTemplates"];
    const kinds: Record<string, Replacement> = {
        "apps/v1:DaemonSet": { replace: selector("spec.selector") },
        "apps/v1:Deployment": { replace: selector("spec.selector") },
        "apps/v1:StatefulSet": { replace: statefulSet },
        "batch/v1:Job": { replace: job },
        // ConfigMaps and Secrets are immutable to the provider unless it enables mutation, which the fleet does not.
        "core/v1:ConfigMap": { replace: ["binaryData", "data"] },
        "core/v1:Secret": { replace: ["data", "stringData", "type"] },
        "core/v1:PersistentVolume": { replace: pvSources, immutable: ["spec.nodeAffinity", "spec.volumeMode"] },
        "core/v1:PersistentVolumeClaim": { replace: ["spec.accessModes", ...selector("spec.selector"), "spec.storageClassName", "spec.volumeName"] },
        "core/v1:Pod": {
            replace: [...["affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC",
                "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName", "nodeSelector", "overhead", "preemptionPolicy",
                "priority", "priorityClassName", "readinessGates", "restartPolicy", "runtimeClassName", "schedulerName", "securityContext",
                "serviceAccount", "serviceAccountName", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "volumes",
            ].map(field => `spec.${field}`), ...containers],
        },
        "core/v1:ResourceQuota": { replace: ["spec.scopes"] },
        "core/v1:Service": { replace: ["spec.clusterIP"] },
        "rbac.authorization.k8s.io/v1:ClusterRoleBinding": { replace: ["roleRef"] },
        "rbac.authorization.k8s.io/v1:RoleBinding": { replace: ["roleRef"] },
        "storage.k8s.io/v1:StorageClass": { replace: ["parameters", "provisioner"], immutable: ["reclaimPolicy", "volumeBindingMode"] },
    };
    return Object.fromEntries(Object.entries(kinds).map(([kind, rules]) => [`kubernetes:${kind}`, rules]));
})();

/** A Kubernetes kind's rules; a helm Release is replaced when its name or namespace changes (helm_release.go). */
function kubernetesRules(type: string): Replacement {
    if (type === "kubernetes:helm.sh/v3:Release") return { replace: ["name", "namespace"] };
    const kind = KUBERNETES[type];
    return {
        replace: [...KUBERNETES_METADATA, ...kind?.replace ?? []].sort(),
        ...kind?.immutable ? { immutable: [...kind.immutable].sort() } : {},
    };
}

/**
 * Inputs the providers replace for although their docs do not say so, each with its source. Kept from the
 * plan's earlier hand list where the SDK docs are silent.
 */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
    // terraform-provider-aws internal/service/s3/bucket.go: bucket, bucket_prefix and object_lock_enabled are ForceNew.
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    // terraform-provider-aws internal/service/efs/file_system.go: creation_token, encrypted, kms_key_id,
    // performance_mode and availability_zone_name are ForceNew.
    "aws:efs/fileSystem:FileSystem": ["availabilityZoneName", "creationToken", "encrypted", "kmsKeyId", "performanceMode"],
    // terraform-provider-aws internal/service/autoscaling/group_tag.go: autoscaling_group_name and tag.key are ForceNew
    // (a node group replaced for a new instance type gets a new Auto Scaling group, so its tags are made anew).
    "aws:autoscaling/tag:Tag": ["autoscalingGroupName", "tag.key"],
    // terraform-provider-aws internal/service/eks/node_group.go: ami_type, capacity_type, cluster_name, disk_size,
    // instance_types, node_group_name(_prefix), node_role_arn, remote_access and subnet_ids are ForceNew.
    "aws:eks/nodeGroup:NodeGroup": [
        "amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn",
        "remoteAccess", "subnetIds",
    ],
    // terraform-provider-google: the bucket's name and location are ForceNew (storage/resource_storage_bucket.go);
    // project is ForceNew on every resource that has one (tpgresource.DefaultProviderProject).
    "gcp:storage/bucket:Bucket": ["location", "name", "project"],
    // terraform-provider-google container/node_config.go: guest_accelerator (type, count,
    // gpu_driver_installation_config) is ForceNew, so a GPU change makes a new node pool.
    "gcp:container/nodePool:NodePool": ["nodeConfig.guestAccelerators"],
    // terraform-provider-google filestore/resource_filestore_instance.go: name, tier, location, networks and
    // file_shares.name are ForceNew.
    "gcp:filestore/instance:Instance": ["fileShares.name", "location", "name", "networks", "project", "tier"],
    // terraform-provider-ovh ovh/resource_cloud_project_network_private.go, _user.go, _user_s3_credential.go
    // and _user_s3_policy.go: service_name (and a user's description, a credential's or policy's user_id) are
    // ForceNew; nothing moves to another OVH project in place.
    // terraform-provider-aws internal/service/ec2/ebs_volume.go `resourceEBSVolume`: availability_zone, encrypted,
    // kms_key_id, multi_attach_enabled, outpost_arn and snapshot_id are ForceNew; size, type, iops and
    // throughput go through ModifyVolume in place (which refuses a smaller size: the update fails).
    "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "multiAttachEnabled", "outpostArn", "snapshotId"],
    // terraform-provider-google (mmv1 products/compute Disk, ResourcePolicy, DiskResourcePolicyAttachment): a
    // disk's name, zone and type cannot change in place, a resource policy cannot change at all, and an
    // attachment is only created and deleted.
    "gcp:compute/disk:Disk": ["name", "project", "type", "zone"],
    "gcp:compute/resourcePolicy:ResourcePolicy": ["description", "name", "project", "region", "snapshotSchedulePolicy"],
    "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment": ["disk", "name", "project", "zone"],
    "ovh:CloudProject/networkPrivate:NetworkPrivate": ["serviceName"],
    "ovh:CloudProject/user:User": ["description", "serviceName"],
    "ovh:CloudProject/s3Credential:S3Credential": ["serviceName", "userId"],
    "ovh:CloudProject/s3Policy:S3Policy": ["serviceName", "userId"],
};

interface UsedClass {
    readonly packageName: string;
    /** Property path below the package, e.g. ["eks", "Cluster"]. */
    readonly path: readonly string[];
}

/** `new <alias>.<path>(` in the program's sources, for aliases bound with `import * as <alias> from "<package>"`. */
export function usedClasses(sources: readonly string[]): UsedClass[] {
    const found = new Map<string, UsedClass>();
    for (const source of sources) {
        const aliases = new Map<string, string>();
        for (const match of source.matchAll(/import \* as (\w+) from "((?:@pulumi|@ovhcloud)\/[\w-]+)"/g)) aliases.set(match[1], match[2]);
        for (const match of source.matchAll(/new (\w+)\.([\w.]+)\(/g)) {
            const packageName = aliases.get(match[1]);
            if (!packageName || packageName === "@pulumi/pulumi") continue;
            found.set(`${packageName}:${match[2]}`, { packageName, path: match[2].split(".") });
        }
    }
    return [...found.values()];
}

function programSources(): string[] {
    const files: string[] = [path.join(ROOT, "index.ts")];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.name.endsWith(".ts")) files.push(full);
        }
    };
    walk(path.join(ROOT, "components"));
    return files.map(file => fs.readFileSync(file, "utf8"));
}

/** The .d.ts that declares `cls`: the loaded module that exports it (the SDKs load their modules lazily). */
function declarationOf(cls: unknown, className: string): string {
    for (const [file, module] of Object.entries(require.cache)) {
        // Skip the lazy index modules that re-export it.
        if (module && (module.exports as Record<string, unknown>)?.[className] === cls && file.endsWith(".js") && !file.endsWith(`${path.sep}index.js`)) {
            return file.replace(/\.js$/, ".d.ts");
        }
    }
    throw new Error(`no loaded module exports ${className}`);
}

/** The interfaces declared at the top of a (small) declaration file, by name. */
function interfaces(file: string, text = fs.readFileSync(file, "utf8")): Map<string, ts.InterfaceDeclaration> {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    return new Map(source.statements.filter(ts.isInterfaceDeclaration).map(declaration => [declaration.name.text, declaration]));
}

/**
 * Nested input types, e.g. `filestore.InstanceFileShares`, of a package's types/input.d.ts, by qualified
 * name. Those files are several MB, each namespace's interfaces indented four spaces deeper than the
 * namespace: one pass finds where each interface's text lies, and only the interfaces asked for are parsed.
 */
function inputTypes(text: string): (qualifiedName: string) => ts.InterfaceDeclaration | undefined {
    const spans = new Map<string, [number, number]>();
    const namespaces: string[] = [];
    let open: { name: string; start: number; indent: string } | undefined;
    let offset = 0;
    for (const line of text.split("\n")) {
        const indent = /^ */.exec(line)![0];
        const depth = indent.length / 4;
        const namespace = /^(?:export declare )?namespace (\w+) \{$/.exec(line.trim());
        if (namespace && !open) {
            namespaces.length = depth;
            namespaces.push(namespace[1]);
        }
        const declared = !open && /^(?:export )?interface (\w+) \{$/.exec(line.trim());
        if (declared) open = { name: [...namespaces.slice(0, depth), declared[1]].join("."), start: offset, indent };
        else if (open && line === `${open.indent}}`) {
            spans.set(open.name, [open.start, offset + line.length]);
            open = undefined;
        }
        offset += line.length + 1;
    }
    const parsed = new Map<string, ts.InterfaceDeclaration | undefined>();
    return qualifiedName => {
        if (!parsed.has(qualifiedName)) {
            const span = spans.get(qualifiedName);
            const name = qualifiedName.split(".").pop()!;
            parsed.set(qualifiedName, span && interfaces(`${qualifiedName}.d.ts`, text.slice(...span)).get(name));
        }
        return parsed.get(qualifiedName);
    };
}

function docOf(member: ts.TypeElement): string {
    return ts.getJSDocCommentsAndTags(member)
        .map(doc => ts.getTextOfJSDocComment((doc as ts.JSDoc).comment) ?? "")
        .join("\n");
}

/** Force-new input paths of `args`, following `inputs.*` types down to `depth` levels. */
function forceNewPaths(args: ts.InterfaceDeclaration, inputType: (name: string) => ts.InterfaceDeclaration | undefined, depth = 3, at = ""): string[] {
    const paths: string[] = [];
    for (const member of args.members) {
        if (!ts.isPropertySignature(member) || !member.name) continue;
        const name = member.name.getText();
        const here = at ? `${at}.${name}` : name;
        const doc = docOf(member);
        if (FORCE_NEW.test(doc) && !UPDATES_IN_PLACE.test(doc)) {
            paths.push(here);
            continue;
        }
        const nested = /\binputs\.([\w.]+)/.exec(member.type?.getText() ?? "")?.[1];
        const declaration = nested && depth > 0 ? inputType(nested) : undefined;
        if (declaration) paths.push(...forceNewPaths(declaration, inputType, depth - 1, here));
    }
    return paths;
}

/** The table for the classes the program creates, from the SDKs installed in node_modules. */
export function buildTable(classes: readonly UsedClass[] = usedClasses(programSources())): ReplacementTable {
    const sdks: Record<string, string> = {};
    const types: Record<string, Replacement> = {};
    const inputTypesOf = new Map<string, (qualifiedName: string) => ts.InterfaceDeclaration | undefined>();
    for (const used of classes) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sdk = require(used.packageName) as Record<string, unknown>;
        const cls = used.path.reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], sdk) as
            { __pulumiType?: string; prototype?: unknown } | undefined;
        const className = used.path[used.path.length - 1];
        // Providers, and resources whose type is chosen at run time (CustomResource), have no fixed token here.
        if (className === "Provider" || className === "CustomResource") continue;
        if (!cls?.__pulumiType) throw new Error(`${used.packageName} has no resource class ${used.path.join(".")}`);
        const packageDir = path.dirname(require.resolve(`${used.packageName}/package.json`));
        sdks[used.packageName] = (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version;
        const type = cls.__pulumiType;
        if (type.startsWith("kubernetes:")) {
            types[type] = kubernetesRules(type);
            continue;
        }
        const args = interfaces(declarationOf(cls, className)).get(`${className}Args`);
        if (!args) throw new Error(`${type}: no ${className}Args interface`);
        const inputType = (name: string) => {
            let lookup = inputTypesOf.get(packageDir);
            if (!lookup) {
                lookup = inputTypes(fs.readFileSync(path.join(packageDir, "types", "input.d.ts"), "utf8"));
                inputTypesOf.set(packageDir, lookup);
            }
            return lookup(name);
        };
        const replace = [...new Set([...forceNewPaths(args, inputType), ...KNOWN[type] ?? []])].sort();
        types[type] = { replace };
    }
    return sortKeysDeep({ sdks, types }) as ReplacementTable;
}

export function renderTable(table: ReplacementTable): string {
    return `${JSON.stringify(table, null, 2)}\n`;
}

if (require.main === module) {
    fs.writeFileSync(TABLE_FILE, renderTable(buildTable()));
    process.stdout.write(`wrote ${path.relative(process.cwd(), TABLE_FILE)}\n`);
}
