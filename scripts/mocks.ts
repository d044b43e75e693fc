/**
 * Pulumi mocks shared by the offline plan and the tests: a recorder of every registered resource's inputs,
 * plausible computed outputs per type (ARNs, ids, endpoints), and a strict `call` that answers only the invokes
 * the program makes on purpose (DEFAULT_CALLS) and those a test adds, so it cannot quietly depend on a live lookup.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** Inputs as the mocks hand them over: deserialization lifts a nested secret to the top-level property. */
    readonly inputs: Record<string, any>;
    /**
     * Inputs as the SDK sends them to the engine, secret markers still on the leaves that carry them: what a
     * provider's Check receives (see scripts/engineModel/helmRelease.ts).
     */
    readonly wireInputs: Record<string, any>;
    readonly provider?: string;
    /** The id of a read (`Resource.get`); undefined for a resource the program manages. */
    readonly readId?: string;
}

/**
 * How the mocks answer like the engine would.
 * - `update`: every resource exists; computed outputs come from the table (the default, as after a first `up`).
 * - `empty-cluster-preview`: the first `pulumi preview` of a fleet: nothing exists yet. Computed outputs are
 *   unknown, and a read of a Kubernetes object that the program itself creates fails, as the engine's
 *   ReadStep does when the provider finds nothing (pulumi/pulumi pkg/resource/deploy/step.go `ReadStep.Apply`:
 *   reads run during previews unless their ID is unknown; `dependsOn` does not delay them, pulumi/pulumi#16395).
 */
export type MockMode = "update" | "empty-cluster-preview";

export type OutputsFn = (name: string, inputs: Record<string, any>) => Record<string, unknown>;
export type CallFn = (args: Record<string, any>) => Record<string, unknown>;

const ACCOUNT = "123456789012";

/** The part of the monitor's RegisterResourceRequest the wire tap reads. */
interface WireRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getObject(): { toJavaScript(): Record<string, any> } | undefined;
    getProtect(): boolean;
    getIgnorechangesList(): string[];
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
    getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

/**
 * What the SDK sent the engine for one registration: the options mocks never see, and the inputs with their
 * secret markers still on the leaves.
 */
export interface SentRegistration {
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly wireInputs: Record<string, any>;
    readonly protect: boolean;
    readonly ignoreChanges: string[];
    /** URNs the resource depends on (dependsOn and inputs from other resources, components expanded). */
    readonly dependencies: string[];
    /** Per input property, the URNs its value came from. */
    readonly propertyDependencies: Record<string, string[]>;
    readonly deleteBeforeReplace: boolean;
}

/** Computed outputs of the resource types our platforms read back (ARNs, ids, endpoints). */
export const DEFAULT_OUTPUTS: Record<string, OutputsFn> = {
    "random:index/randomBytes:RandomBytes": (name, i) => {
        const bytes = crypto.createHash("sha512").update(name).digest().subarray(0, i.length ?? 32);
        return { hex: bytes.toString("hex"), base64: bytes.toString("base64") };
    },
    // Letters and digits, as `special: false` asks, derived from the name so every run is the same.
    "random:index/randomPassword:RandomPassword": (name, i) => ({
        result: crypto.createHash("sha512").update(name).digest("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, i.length ?? 16),
    }),
    // What the provider reports once helm has installed the release; a hub reads its proxy service through it.
    "kubernetes:helm.sh/v3:Release": (name, i) => ({
        status: { name: i.name ?? name, namespace: i.namespace ?? "default", status: "deployed", revision: 1, chart: i.chart, version: i.version },
    }),
    // The proxy's load balancer as the cloud reports it on a read of `<hub>/proxy-public`.
    "kubernetes:core/v1:Service": name => ({
        // Kubernetes gives every ClusterIP Service an address; a hub's NFS server is mounted by it.
        spec: { type: "ClusterIP", clusterIP: "10.100.0.10" },
        status: { loadBalancer: { ingress: [{ hostname: `${name}.elb.example.com` }] } },
    }),
    "aws:iam/role:Role": (name, i) => ({ arn: `arn:aws:iam::${ACCOUNT}:role/${i.name ?? name}`, name: i.name ?? name }),
    "aws:iam/policy:Policy": (name, i) => ({ arn: `arn:aws:iam::${ACCOUNT}:policy/${i.name ?? name}` }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_n, i) => ({
        arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(i.url).replace(/^https:\/\//, "")}`,
    }),
    "aws:eks/cluster:Cluster": (name, i) => ({
        arn: `arn:aws:eks:us-west-2:${ACCOUNT}:cluster/${i.name ?? name}`,
        name: i.name ?? name,
        endpoint: `https://${name}.gr7.us-west-2.eks.amazonaws.com`,
        certificateAuthority: { data: "LS0tLS1CRUdJTi1DRVJU" },
        identities: [{ oidcs: [{ issuer: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" }] }],
        vpcConfig: { ...(i.vpcConfig ?? {}), clusterSecurityGroupId: "sg-cluster0001" },
    }),
    // EKS reports the Auto Scaling group it made for a node group (named eks-<group>-<uuid>).
    "aws:eks/nodeGroup:NodeGroup": name => ({ resources: [{ autoscalingGroups: [{ name: `eks-${name}-0a1b2c3d` }] }] }),
    "aws:s3/bucket:Bucket": (name, i) => ({ bucket: i.bucket ?? name, arn: `arn:aws:s3:::${i.bucket ?? name}` }),
    "aws:efs/fileSystem:FileSystem": () => ({ id: "fs-0123456789abcdef0", dnsName: "fs-0123456789abcdef0.efs.us-west-2.amazonaws.com" }),
    "aws:efs/accessPoint:AccessPoint": name => ({ id: `fsap-${name}` }),
    "aws:ec2/vpc:Vpc": () => ({ id: "vpc-0abc" }),
    "gcp:serviceaccount/account:Account": (name, i) => ({
        email: `${i.accountId ?? name}@${i.project ?? "example-project"}.iam.gserviceaccount.com`,
        name: `projects/${i.project ?? "example-project"}/serviceAccounts/${i.accountId ?? name}@${i.project ?? "example-project"}.iam.gserviceaccount.com`,
    }),
    "gcp:container/cluster:Cluster": (name, i) => ({
        endpoint: "34.1.2.3",
        masterAuth: { clusterCaCertificate: "LS0tLS1CRUdJTi1DRVJU" },
        name: i.name ?? name,
    }),
    // A class the program reads (an operator's) retains unless the test says otherwise; one it creates says what it set.
    "kubernetes:storage.k8s.io/v1:StorageClass": (_n, i) => ({ reclaimPolicy: i.reclaimPolicy ?? "Retain" }),
    "gcp:storage/bucket:Bucket": (name, i) => ({ url: `gs://${i.name ?? name}`, name: i.name ?? name }),
    "gcp:filestore/instance:Instance": () => ({ networks: [{ network: "default", modes: ["MODE_IPV4"], ipAddresses: ["10.0.0.2"] }] }),
    "ovh:CloudProject/networkPrivate:NetworkPrivate": (_n, i) => ({
        regionsOpenstackIds: Object.fromEntries((i.regions ?? []).map((region: string) => [region, `openstack-net-${region.toLowerCase()}`])),
    }),
    "ovh:CloudProject/kube:Kube": (name, i) => ({
        name: i.name ?? name,
        kubeconfig: [
            "apiVersion: v1", "kind: Config", `current-context: ${name}`,
            `clusters: [{name: ${name}, cluster: {server: 'https://${name}.c1.gra.k8s.ovh.net'}}]`,
            `contexts: [{name: ${name}, context: {cluster: ${name}, user: admin}}]`,
            "users: [{name: admin, user: {client-certificate-data: LS0t, client-key-data: LS0t}}]",
        ].join("\n"),
    }),
    "ovh:CloudProject/s3Credential:S3Credential": name => ({ accessKeyId: `AK-${name}`, secretAccessKey: `SECRET-${name}` }),
};

/**
 * An invoke failure as the SDK receives it from the engine: a gRPC error whose `details` the SDK turns into the
 * Error's message (`@pulumi/pulumi` runtime/invoke.js), worded as pulumi/pulumi `pkg/resource/deploy/source_eval.go`
 * `resmon.Invoke` and pulumi/pulumi-terraform-bridge `pkg/tfbridge/provider.go` `Invoke` wrap a provider error.
 */
export function invokeError(token: string, providerMessage: string): Error {
    const details = `invocation of ${token} returned an error: invoking ${token}: ${providerMessage}`;
    return Object.assign(new Error(details), { details });
}

const OVH_GET_POOL = "ovh:CloudProject/getKubeNodePool:getKubeNodePool";

/**
 * The live reads the program makes, answered as for a fleet deployed for the first time: no EKS node group and
 * no OVH pool exists yet, so every pool is created at its minimum (components/nodePoolSize.ts). Tests of an update
 * pass their own answers.
 */
export const DEFAULT_CALLS: Record<string, CallFn> = {
    "aws:eks/getNodeGroups:getNodeGroups": args => ({ clusterName: args.clusterName, names: [] }),
    // ovh/terraform-provider-ovh ovh/data_cloud_project_kube_nodepool.go: dataSourceCloudProjectKubeNodePoolRead.
    [OVH_GET_POOL]: args => {
        throw invokeError(OVH_GET_POOL, `the nodepool named ${args.name} cannot be found for cluster ${args.kubeId} in project ${args.serviceName}`);
    },
};

/** The SDK's stand-in for a value not known until the engine creates the resource. */
const UNKNOWN = pulumi.runtime.unknownValue;

/** `namespace/name` or `name`, as Kubernetes read IDs are written. */
function kubernetesObjectKey(id: string): { namespace?: string; name: string } {
    const [first, second] = id.split("/");
    return second === undefined ? { name: first } : { namespace: first, name: second };
}

/** `computed` with every value the inputs do not already give replaced by the unknown sentinel. */
function unknownWhereComputed(computed: unknown, inputs: unknown): unknown {
    if (inputs === undefined || inputs === null) return UNKNOWN;
    if (Array.isArray(computed) && Array.isArray(inputs)) return computed.map((item, i) => unknownWhereComputed(item, inputs[i]));
    if (computed && typeof computed === "object" && !Array.isArray(computed) && typeof inputs === "object") {
        return Object.fromEntries(Object.entries(computed).map(([key, value]) =>
            [key, unknownWhereComputed(value, (inputs as Record<string, unknown>)[key])]));
    }
    return inputs;
}

export class MockRecorder {
    readonly resources: RecordedResource[] = [];
    /** Every invoke, with the provider reference it went through (`<urn>::<id>`; empty for the default provider). */
    readonly calls: { token: string; args: Record<string, any>; provider?: string }[] = [];
    /** Every registration as sent, by `type::name`; filled once `tapMonitor` has run. */
    readonly sent = new Map<string, SentRegistration>();
    private readonly callResults: Record<string, CallFn>;

    /** `calls` answer invokes on top of DEFAULT_CALLS. */
    constructor(private readonly outputs: Record<string, OutputsFn>, calls: Record<string, CallFn>,
        readonly mode: MockMode = "update") {
        this.callResults = { ...DEFAULT_CALLS, ...calls };
    }

    /**
     * Records what the SDK puts on the wire for each registration (`sent`). Call right after `setMocks`: the
     * mock monitor deserializes inputs before `newResource` sees them, which moves secret markers up to the
     * top-level property, and resource options never reach the mocks at all.
     */
    tapMonitor(): void {
        const monitor = pulumi.runtime.getMonitor() as unknown as {
            registerResource(req: WireRequest, callback: unknown): unknown;
        };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            const propertyDependencies: Record<string, string[]> = {};
            req.getPropertydependenciesMap().forEach((value, key) => {
                const urns = value.getUrnsList();
                if (urns.length > 0) propertyDependencies[key] = urns;
            });
            this.sent.set(`${req.getType()}::${req.getName()}`, {
                type: req.getType(), name: req.getName(), parent: req.getParent(),
                wireInputs: req.getObject()?.toJavaScript() ?? {},
                protect: req.getProtect(), ignoreChanges: req.getIgnorechangesList(), dependencies: req.getDependenciesList(),
                propertyDependencies, deleteBeforeReplace: req.getDeletebeforereplace(),
            });
            return register(req, callback);
        };
    }

    /** The pulumi.runtime.Mocks implementation. */
    readonly mocks: pulumi.runtime.Mocks = {
        newResource: async (args: pulumi.runtime.MockResourceArgs) => {
            // Registrations carry the import id, "" for the fleet (it imports nothing); reads carry the object's id.
            const readId = args.id === undefined || args.id === "" ? undefined : args.id;
            const isRead = readId !== undefined;
            this.resources.push({
                type: args.type, name: args.name, inputs: args.inputs, provider: args.provider,
                wireInputs: this.sent.get(`${args.type}::${args.name}`)?.wireInputs ?? args.inputs,
                ...(isRead ? { readId } : {}),
            });
            if (isRead && this.mode === "empty-cluster-preview") {
                if (readId === UNKNOWN) {
                    // ReadStep.Apply: "The only time we can't run is if the ID we are given is unknown."
                    return { id: "", state: {} };
                }
                await this.failReadOfOwnObject(args.type, readId);
            }
            const computed = this.outputs[args.type]?.(args.name, args.inputs) ?? {};
            if (this.mode === "empty-cluster-preview" && !isRead) {
                // A preview of a create knows the inputs; what the cloud computes stays unknown.
                return { id: UNKNOWN, state: { ...args.inputs, ...unknownWhereComputed(computed, args.inputs) as Record<string, unknown> } };
            }
            return { id: isRead ? readId : `${args.name}-id`, state: { ...args.inputs, ...computed } };
        },
        call: (args: pulumi.runtime.MockCallArgs) => {
            this.calls.push({ token: args.token, args: args.inputs, provider: args.provider });
            const result = this.callResults[args.token];
            if (!result) {
                throw new Error(`unmocked invoke ${args.token}: the program must not depend on live lookups, or the test must mock it`);
            }
            return result(args.inputs);
        },
    };

    /**
     * On an empty cluster, an object the same program registers (or any object in a namespace it creates)
     * does not exist yet when the read runs. Registrations of plain inputs land within a few turns of the
     * event loop, so the check waits for them before deciding.
     */
    private async failReadOfOwnObject(type: string, id: string): Promise<void> {
        if (!type.startsWith("kubernetes:")) return;
        for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve));
        const wanted = kubernetesObjectKey(id);
        const created = this.resources.filter(r => r.readId === undefined && r.type.startsWith("kubernetes:"));
        const namespaceCreated = wanted.namespace !== undefined && created.some(r =>
            r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata?.name === wanted.namespace);
        const objectCreated = created.some(r => r.type === type && r.inputs.metadata?.name === wanted.name
            && (r.inputs.metadata?.namespace ?? undefined) === wanted.namespace);
        if (namespaceCreated || objectCreated) {
            throw new Error(`reading ${type} ${id} during preview: it does not exist yet on an empty cluster (the program ` +
                "creates it in this update); derive the read's ID from the creating resource's outputs so it stays unknown until then");
        }
    }

    /** Every recorded resource of `type`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter(r => r.type === type);
    }

    /** The one resource of `type` named `name`; throws with the known names otherwise. */
    get(type: string, name: string): RecordedResource {
        const found = this.resources.find(r => r.type === type && r.name === name);
        if (!found) {
            throw new Error(`no ${type} named ${name}; recorded: ${this.ofType(type).map(r => r.name).join(", ") || "none of that type"}`);
        }
        return found;
    }

    reset(): void {
        this.resources.length = 0;
        this.calls.length = 0;
        this.sent.clear();
    }
}
