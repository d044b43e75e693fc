/**
 * Pulumi mocks shared by the offline plan and the tests: a recorder of every registered resource's inputs,
 * plausible computed outputs per type (ARNs, ids, endpoints), and a strict `call` that refuses any invoke
 * it was not told about, so the program cannot quietly depend on a live lookup.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly provider?: string;
}

export type OutputsFn = (name: string, inputs: Record<string, any>) => Record<string, unknown>;
export type CallFn = (args: Record<string, any>) => Record<string, unknown>;

const ACCOUNT = "123456789012";

/** Computed outputs of the resource types our platforms read back (ARNs, ids, endpoints). */
export const DEFAULT_OUTPUTS: Record<string, OutputsFn> = {
    "random:index/randomBytes:RandomBytes": (name, i) => {
        const bytes = crypto.createHash("sha512").update(name).digest().subarray(0, i.length ?? 32);
        return { hex: bytes.toString("hex"), base64: bytes.toString("base64") };
    },
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

export class MockRecorder {
    readonly resources: RecordedResource[] = [];
    readonly calls: { token: string; args: Record<string, any> }[] = [];

    constructor(private readonly outputs: Record<string, OutputsFn>, private readonly callResults: Record<string, CallFn>) { }

    /** The pulumi.runtime.Mocks implementation. */
    readonly mocks: pulumi.runtime.Mocks = {
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
            const computed = this.outputs[args.type]?.(args.name, args.inputs) ?? {};
            return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
        },
        call: (args: pulumi.runtime.MockCallArgs) => {
            this.calls.push({ token: args.token, args: args.inputs });
            const result = this.callResults[args.token];
            if (!result) {
                throw new Error(`unmocked invoke ${args.token}: the program must not depend on live lookups, or the test must mock it`);
            }
            return result(args.inputs);
        },
    };

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
    }
}
