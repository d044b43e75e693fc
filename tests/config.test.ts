import * as assert from "assert";
import { parseFleetConfig, FleetConfigError } from "../components/config";

describe("config smoke", () => {
    it("rejects an empty hub", () => {
        assert.throws(() => parseFleetConfig({ clusters: {}, hubs: { x: {} } }, { stack: "t" }), FleetConfigError);
    });
});
