/**
 * The tags and labels a cloud resource ends up with, as the AWS and Google providers compute them, and which
 * resources take any: derived from the installed SDKs' declarations, not from a hand-kept list.
 *
 * - AWS: a resource that supports tags declares a `tagsAll` output, "including those inherited from the
 *   provider defaultTags"; on create and update the provider sends `DefaultConfig.MergeTags` of the
 *   resource's `tags`: the provider's defaultTags under the resource's own, resource keys winning
 *   (terraform-provider-aws internal/provider tags interceptor, `tagsInContext.DefaultConfig.MergeTags`).
 *   Resources without tags (policy attachments, add-on associations) declare no `tagsAll`.
 * - Google: a resource whose labels the provider manages declares an `effectiveLabels` output, fed by the
 *   provider's `defaultLabels` under the resource's own labels field (terraform-provider-google
 *   tpgresource/labels.go `SetLabelsDiff` for `labels`, `SetDiffForLabelsWithCustomizedName` for a GKE
 *   cluster's `resource_labels`, which GKE copies to the cluster's Compute Engine VMs and disks: container
 *   API SetLabelsRequest). Service accounts, IAM members and node pools declare none.
 */
import * as fs from "fs";
import * as path from "path";
import type { RecordedResource } from "../mocks";

/** SDK package of each type-token prefix this model knows; OVH's provider has no default tags. */
const PACKAGES: Readonly<Record<string, { readonly sdk: string; readonly output?: string; readonly fields: readonly string[] }>> = {
    aws: { sdk: "@pulumi/aws", output: "tagsAll", fields: ["tags"] },
    gcp: { sdk: "@pulumi/gcp", output: "effectiveLabels", fields: ["labels", "resourceLabels"] },
    ovh: { sdk: "@ovhcloud/pulumi-ovh", fields: ["tags", "labels"] },
};

/** `entry` of `dir`, matched without case (SDK module paths and file names differ from type tokens in case only). */
function entryOf(dir: string, entry: string): string | undefined {
    const found = fs.existsSync(dir) ? fs.readdirSync(dir).find(name => name.toLowerCase() === entry.toLowerCase()) : undefined;
    return found === undefined ? undefined : path.join(dir, found);
}

const declarations = new Map<string, string | undefined>();

/** The .d.ts of a resource type such as `aws:iam/role:Role` (`<sdk>/iam/role.d.ts`; module file names differ in case only). */
function declarationText(type: string): string | undefined {
    if (declarations.has(type)) return declarations.get(type);
    const [prefix, module] = type.split(":");
    const pkg = PACKAGES[prefix];
    let text: string | undefined;
    if (pkg && module && !type.startsWith("pulumi:")) {
        let at: string | undefined = path.dirname(require.resolve(`${pkg.sdk}/package.json`));
        for (const part of path.dirname(module).split("/").filter(p => p !== ".")) at = at && entryOf(at, part);
        const file = at && entryOf(at, `${path.basename(module)}.d.ts`);
        text = file === undefined ? undefined : fs.readFileSync(file, "utf8");
    }
    declarations.set(type, text);
    return text;
}

/** Whether the provider tags (AWS) or labels (Google) resources of this type: its class declares the merged output. */
export function isTaggable(type: string): boolean {
    const pkg = PACKAGES[type.split(":")[0]];
    const text = declarationText(type);
    return pkg?.output !== undefined && text !== undefined && new RegExp(`^\\s+readonly ${pkg.output}: pulumi\\.Output<`, "m").test(text);
}

/** Whether resources of this type take tags or labels of their own at all (for SDKs without default tags, such as OVH's). */
export function declaresTagField(type: string): boolean {
    const pkg = PACKAGES[type.split(":")[0]];
    const text = declarationText(type);
    if (pkg === undefined || text === undefined) throw new Error(`no declaration found for ${type}`);
    return pkg.fields.some(field => new RegExp(`^\\s+${field}\\?: pulumi\\.Input<`, "m").test(text));
}

/** The provider's default tags or labels, from its recorded inputs. */
function providerDefaults(provider: RecordedResource | undefined): Record<string, string> {
    if (!provider) return {};
    // Providers receive every non-string input JSON-encoded.
    const parsed = (value: unknown) => typeof value === "string" ? JSON.parse(value) : value;
    return provider.type === "pulumi:providers:aws"
        ? parsed(provider.inputs.defaultTags)?.tags ?? {}
        : parsed(provider.inputs.defaultLabels) ?? {};
}

/** The tags or labels a recorded resource ends up with: its provider's defaults under its own. */
export function effectiveTags(resource: RecordedResource, provider: RecordedResource | undefined): Record<string, string> {
    const pkg = PACKAGES[resource.type.split(":")[0]];
    const own = Object.assign({}, ...(pkg?.fields ?? []).map(field => resource.inputs[field] ?? {}));
    return { ...providerDefaults(provider), ...own };
}

/**
 * The recorded provider a resource goes through. Its reference is `<provider urn>::<id>`, the urn ending in
 * `::<parent types>$<type>::<name>`.
 */
export function providerOf(resource: RecordedResource, resources: readonly RecordedResource[]): RecordedResource | undefined {
    if (!resource.provider) return undefined;
    const parts = resource.provider.split("::");
    const name = parts[parts.length - 2];
    const type = parts[parts.length - 3].split("$").pop();
    return resources.find(r => r.type === type && r.name === name);
}
