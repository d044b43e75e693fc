// Ends its worker mid-file: the runner counts the file as failed and goes on with a new worker.
describe("dies", () => { it("exits the process", () => { process.exit(3); }); });
