/**
 * What a plan against the last deployed commit (`plan --base`) knows of a hub's home storage: each hub's
 * namespace carries its kind and, for nfs-server, its volume's size (components/hub.ts
 * `homeStorageAnnotations`). A change of kind means the hub's homes would be left behind on the old storage
 * while users get empty ones; a smaller volume is something no cloud does in place. Both stop the deploy
 * (exit 4) with the runbook; `pulumi up` refuses them too, later and less clearly: the old storage is
 * protected (deleting an EFS access point, a disk, or replacing the hub's PV fails), and EBS, Compute
 * Engine and Cinder refuse to shrink a volume (Compute Engine through a replacement that `protect` refuses).
 */
import type { PlanJsonResource } from "./planReport";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const KIND = "jupyterhub-fleet/home-storage";
const SIZE = "jupyterhub-fleet/home-size-gb";

function annotation(resource: PlanJsonResource, key: string): string | undefined {
    const annotations = (resource.inputs.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
    const value = annotations?.[key];
    return typeof value === "string" ? value : undefined;
}

/** Alerts for hub namespaces matched between the base plan and the head plan (before, after). */
export function homeStorageAlerts(matched: Iterable<readonly [before: PlanJsonResource, after: PlanJsonResource]>): string[] {
    const alerts: string[] = [];
    for (const [before, after] of matched) {
        if (after.type !== NAMESPACE) continue;
        const hub = String((after.inputs.metadata as { name?: unknown } | undefined)?.name ?? after.name);
        const [kindBefore, kindAfter] = [annotation(before, KIND), annotation(after, KIND)];
        // A base deployed before the annotation existed, or a hub that kept no homes, has nothing to move.
        if (kindBefore && kindAfter && kindBefore !== "none" && kindAfter !== "none" && kindBefore !== kindAfter) {
            alerts.push(`hub ${hub}: home storage changes from ${kindBefore} to ${kindAfter}, which would leave every home on the old ` +
                "storage and give users empty ones: revert the change and follow docs/homes.md, \"Moving a hub to another home storage type\"");
        }
        const [sizeBefore, sizeAfter] = [Number(annotation(before, SIZE)), Number(annotation(after, SIZE))];
        if (kindBefore === kindAfter && sizeAfter < sizeBefore) {
            alerts.push(`hub ${hub}: homeStorage.sizeGb shrinks from ${sizeBefore} to ${sizeAfter}, and no cloud shrinks a volume in place: ` +
                `keep sizeGb at ${sizeBefore} or more (to use less, move the homes to a new hub: docs/homes.md)`);
        }
    }
    return alerts;
}
