// The editor schema `qicore schema pipeline --load` wrote, checked the strict way (Ajv's
// default strict mode, what editors' validators do), against the pipeline file.
const { readFileSync } = require("node:fs");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;
const { parse } = require("yaml");

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync("pipeline.schema.json", "utf8")));
const pipeline = parse(readFileSync("pipeline.yaml", "utf8"));
if (!validate(pipeline)) {
  console.error(JSON.stringify(validate.errors, null, 2));
  process.exit(1);
}
const wrong = structuredClone(pipeline);
wrong.sources[0].config.symbl = "typo";
if (validate(wrong)) {
  console.error("the schema accepted an unknown option of the adapter");
  process.exit(1);
}
console.log("pipeline.yaml validates against the editor schema; a misspelt adapter option does not");
