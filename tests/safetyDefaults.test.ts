/**
 * Tests that fail when a safety default goes (issue 17). The staging example stack (an EKS cluster with EFS
 * homes, a bucket and an IRSA hub, and a GKE cluster) is run under mocks by the offline plan's engine
 * (scripts/planRun.ts: the program, the recorded resources, every rule of the pack with the stack's policy
 * config), and must violate nothing. Then each default is taken away from the recorded resources, one at a
 * time, and the pack must refuse the result: so a rule that stops matching the program's real resource
 * shapes fails here, not in production.
 */
import * as assert from "assert";
import * as path from "path";
import { Plan, PlanResource, readPolicyConfig, runPlan } from "../scripts/planRun";
import { rules } from "../policies/rules";
import { evaluatePolicies } from "../policies/evaluate";
import { platformOf } from "../policies/rules/common";

const ROOT = path.join(__dirname, "..");
const STACK = "staging";

/** A copy of `resource` with its inputs and outputs edited alike. */
function edited(resource: PlanResource, edit: (props: any) => void, options: Partial<PlanResource> = {}): PlanResource {
    const inputs = structuredClone(resource.inputs);
    const outputs = structuredClone(resource.outputs);
    edit(inputs);
    edit(outputs);
    return { ...resource, inputs, outputs, ...options };
}

/** One safety default, and how a one-line fault in the program would take it away from the recorded resources. */
interface Fault {
    readonly fault: string;
    /** The rule that must refuse it. */
    readonly rule: string;
    /** Which recorded resources the fault touches. */
    readonly target: (resource: PlanResource) => boolean;
    /** The faulty resource, or undefined to remove it. */
    readonly apply: (resource: PlanResource) => PlanResource | undefined;
}

const isHubRelease = (r: PlanResource) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "jupyterhub";
const onAws = (r: PlanResource) => platformOf(r.provider?.urn) === "aws";

const FAULTS: readonly Fault[] = [
    {
        fault: "IRSA trust without its aud condition", rule: "irsa-trust-pinned",
        target: r => r.type === "aws:iam/role:Role" && /AssumeRoleWithWebIdentity/.test(r.inputs.assumeRolePolicy ?? ""),
        apply: r => edited(r, props => {
            const trust = JSON.parse(props.assumeRolePolicy);
            for (const statement of trust.Statement) {
                for (const key of Object.keys(statement.Condition.StringEquals)) if (key.endsWith(":aud")) delete statement.Condition.StringEquals[key];
            }
            props.assumeRolePolicy = JSON.stringify(trust);
        }),
    },
    { fault: "EFS unencrypted", rule: "efs-encrypted", target: r => r.type === "aws:efs/fileSystem:FileSystem", apply: r => edited(r, p => { p.encrypted = false; }) },
    { fault: "bucket forceDestroy", rule: "buckets-keep-objects", target: r => r.type === "aws:s3/bucket:Bucket", apply: r => edited(r, p => { p.forceDestroy = true; }) },
    { fault: "home PV unprotected", rule: "storage-protected", target: r => r.type === "kubernetes:core/v1:PersistentVolume", apply: r => ({ ...r, protect: false }) },
    { fault: "hub network policy off", rule: "z2jh-network-policy", target: isHubRelease, apply: r => edited(r, p => { p.values.hub.networkPolicy.enabled = false; }) },
    {
        fault: "proxy network policy off", rule: "z2jh-network-policy", target: isHubRelease,
        apply: r => edited(r, p => { p.values.proxy.chp.networkPolicy.enabled = false; }),
    },
    { fault: "culler disabled", rule: "z2jh-culler-on", target: isHubRelease, apply: r => edited(r, p => { p.values.cull.enabled = false; }) },
    { fault: "user servers as uid 0", rule: "z2jh-user-pods-non-root", target: isHubRelease, apply: r => edited(r, p => { p.values.singleuser.uid = 0; }) },
    {
        fault: "metadata iptables block off on AWS", rule: "z2jh-cloud-metadata", target: r => isHubRelease(r) && onAws(r),
        apply: r => edited(r, p => { p.values.singleuser.cloudMetadata.blockWithIptables = false; }),
    },
    {
        fault: "S3 public access block removed", rule: "s3-buckets-private-and-encrypted",
        target: r => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", apply: () => undefined,
    },
];

describe("safety defaults: the staging example stack under the policy pack", () => {
    let plan: Plan;

    before(async function () {
        // One run of the program under mocks: about 3 s on an idle machine, many times that on busy shared cores.
        this.timeout(120_000);
        const outcome = await runPlan(STACK, ROOT);
        if (outcome.kind !== "plan") throw new Error(outcome.message);
        plan = outcome.plan;
    });

    it("violates no rule", () => {
        assert.deepStrictEqual(plan.violations.map(v => `${v.policy}: ${v.message}`), []);
    });

    for (const { fault, rule, target, apply } of FAULTS) {
        it(`is refused by ${rule} with ${fault}`, async () => {
            const targets = plan.resources.filter(target);
            assert.ok(targets.length > 0, `the stack has nothing ${fault} could touch`);
            for (const victim of targets) {
                const faulty = apply(victim);
                const resources = plan.resources.flatMap(r => r === victim ? (faulty ? [faulty] : []) : [r]);
                const violations = await evaluatePolicies(rules, resources, readPolicyConfig(STACK));
                assert.ok(violations.some(v => v.policy === rule && v.enforcementLevel === "mandatory"),
                    `${fault} on ${victim.urn} passed; violations: ${JSON.stringify(violations.map(v => v.policy))}`);
            }
        });
    }
});
