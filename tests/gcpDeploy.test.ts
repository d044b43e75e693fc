/**
 * What a real deploy of the example stacks needs on GCP beyond what the platform tests see: CI can reach
 * GKE, no hub or node identity can administer a bucket, and users' Filestore homes keep their paths.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { readStackFile } from "../scripts/stackConfig";
import { RecordedResource, unwrapSecret, useMocks } from "./harness";

const ROOT = path.join(__dirname, "..");

/**
 * Roles that hold storage.buckets.delete, .update or .setIamPolicy: Cloud Storage docs, "IAM roles for Cloud
 * Storage" (storage.admin: storage.buckets.*; legacyBucketOwner: buckets.update and setIamPolicy) and the
 * basic roles Owner and Editor. Granted on a bucket or its project, they let users delete or publish it.
 */
const BUCKET_ADMIN_ROLES = ["roles/storage.admin", "roles/storage.legacyBucketOwner", "roles/owner", "roles/editor"];
/** Bucket roles reviewed for hubs: storage.objects.* (objectUser) or objects.get/list (objectViewer), nothing on the bucket. */
const BUCKET_ROLES = ["roles/storage.objectUser", "roles/storage.objectViewer"];
/**
 * Project roles reviewed for fleet identities: requester pays (serviceusage.services.use), and the nodes'
 * GKE default node role and Artifact Registry reader; none holds a storage permission.
 */
const PROJECT_ROLES = ["roles/serviceusage.serviceUsageConsumer", "roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"];
/** Authoritative IAM resources would also remove grants made outside the fleet (or by another hub). */
const AUTHORITATIVE_IAM_TYPES = /^gcp:(storage\/bucketIAM(Binding|Policy)|projects\/iAM(Binding|Policy)):/;

interface Run {
    readonly resources: readonly RecordedResource[];
}

async function deployStack(stack: string): Promise<Run> {
    const { config, secretKeys } = readStackFile(stack, ROOT);
    const recorder = useMocks({ stack, config, secretKeys });
    const { loadFleetConfig } = await import("../components/config");
    const { deployFleet } = await import("../components/fleet");
    const fleet = deployFleet(loadFleetConfig());
    await new Promise(resolve => pulumi.output(fleet.outputs as unknown as pulumi.Input<object>).apply(resolve));
    await Promise.all(Object.values(fleet.hubs).map(hub => new Promise(resolve => hub.release.status.apply(resolve))));
    return { resources: [...recorder.resources] };
}

describe("gcp deploy: CI reaches GKE", () => {
    const workflow = parseYaml(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8"));
    const steps: Record<string, any>[] = workflow.jobs.pulumi.steps;
    const index = (uses: RegExp) => steps.findIndex(step => uses.test(step.uses ?? ""));

    it("installs gke-gcloud-auth-plugin, which GKE kubeconfigs run, before any Pulumi command", () => {
        // setup-gcloud v3 (action.yml): `install_components` is a comma-separated list; with `skip_install` the
        // runner's system gcloud is used and components cannot be installed.
        const setup = index(/^google-github-actions\/setup-gcloud@v3$/);
        assert.ok(setup >= 0, "no google-github-actions/setup-gcloud@v3 step");
        const step = steps[setup];
        assert.ok(String(step.with?.install_components ?? "").split(",").map(c => c.trim()).includes("gke-gcloud-auth-plugin"));
        assert.notStrictEqual(String(step.with?.skip_install ?? "false"), "true");
        assert.ok(setup < index(/^pulumi\/actions@/), "the plugin must be there before pulumi/actions runs");
    });

    it("signs that gcloud in with the workflow's GCP credentials, whenever there are any", () => {
        // setup-gcloud authenticates gcloud with the credentials file google-github-actions/auth exported
        // (src/main.ts, GOOGLE_GHA_CREDS_PATH), so it must come after the auth step and run when it does.
        const auth = index(/^google-github-actions\/auth@/);
        const setup = index(/^google-github-actions\/setup-gcloud@/);
        assert.ok(auth >= 0 && auth < setup);
        assert.strictEqual(steps[setup].if, steps[auth].if);
    });
});

describe("gcp deploy: the example stacks", function () {
    const runs: Record<string, Run> = {};

    before(async () => {
        for (const stack of ["prod", "staging"]) runs[stack] = await deployStack(stack);
    });

    for (const stack of ["prod", "staging"]) {
        it(`Pulumi.${stack}.yaml: no fleet identity gets a role that can delete, change or publish a bucket`, () => {
            const grants = runs[stack].resources.filter(r => /^gcp:(storage\/bucketIAM|projects\/iAM)/.test(r.type));
            assert.ok(grants.some(r => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember"), "the stack grants a hub a bucket");
            for (const grant of grants) {
                const where = `${grant.type} ${grant.name}`;
                assert.doesNotMatch(grant.type, AUTHORITATIVE_IAM_TYPES, where);
                assert.ok(!BUCKET_ADMIN_ROLES.includes(grant.inputs.role), `${where} grants ${grant.inputs.role}`);
                const reviewed = grant.type.startsWith("gcp:storage/") ? BUCKET_ROLES : PROJECT_ROLES;
                assert.ok(reviewed.includes(grant.inputs.role), `${where} grants ${grant.inputs.role}, which is not a reviewed role for it`);
            }
        });
    }

    it("Pulumi.prod.yaml: each Filestore hub's volume is its own directory, and users' homes keep their paths", () => {
        const resources = runs.prod.resources;
        const filestoreHubs = resources.filter(r => r.type === "kubernetes:batch/v1:Job" && r.inputs.metadata.name.startsWith("home-dir-"));
        assert.deepStrictEqual(filestoreHubs.map(r => r.inputs.metadata.name), ["home-dir-climate"]);
        const volume = resources.find(r => r.type === "kubernetes:core/v1:PersistentVolume" && r.inputs.metadata.name === "climate-home");
        assert.ok(volume);
        assert.strictEqual(volume.inputs.spec.nfs.path, "/homes/climate");
        const release = resources.find(r => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "climate");
        assert.ok(release);
        // The values carry secret leaves (hub secrets), which lift the whole property to a secret on the way here.
        const subPath: string = unwrapSecret(release.inputs.values).value.singleuser.storage.static.subPath;
        // Before: the volume was the whole share, /homes, and users got <hub>/<user> in it.
        assert.strictEqual(path.posix.join(volume.inputs.spec.nfs.path, subPath), path.posix.join("/homes", "climate/{escaped_username}"));
    });
});
