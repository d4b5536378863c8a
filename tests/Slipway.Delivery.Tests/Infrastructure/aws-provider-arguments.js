// Regenerates aws-provider-arguments.json: the arguments and nested blocks the AWS provider accepts for each
// resource and data source type build/terraform uses, read from @cdktf/provider-aws (generated from the
// provider's own schema). Terraform's `validate` needs the provider binary, which cannot be downloaded here.
//
//   npm pack @cdktf/provider-aws@21.22.1 && mkdir p && tar xzf cdktf-provider-aws-21.22.1.tgz -C p
//   node tests/Slipway.Delivery.Tests/Infrastructure/aws-provider-arguments.js p/package
//
// (Run from the repository root, after docker/scripts/install.sh test, which brings the HCL parser.)
const fs = require("fs");
const path = require("path");

const [packageDir] = process.argv.slice(2);
if (!packageDir) {
  console.error("usage: aws-provider-arguments.js <unpacked @cdktf/provider-aws package folder>");
  process.exit(2);
}
const hcl = require(path.resolve(".nuke/temp/node-tools/node_modules/@cdktf/hcl2json"));
const folder = "build/terraform";
const output = path.join(__dirname, "aws-provider-arguments.json");

// "return { a: cdktf.stringToTerraform(...), b: fooBarToTerraform(...), }" -> { a: null, b: <FooBar's arguments> }
function entries(body, functions) {
  const result = {};
  for (const match of body.matchAll(/^\s+(\w+): (.*),$/gm)) {
    const nested = /(?<![.\w])([a-z]\w*?)ToTerraform\b/.exec(match[2]);
    result[match[1]] = nested ? argumentsOf(nested[1], functions) : null;
  }
  return result;
}

function argumentsOf(name, functions) {
  const body = functions.get(name);
  if (body === undefined) throw new Error(`no function ${name}ToTerraform`);
  const returned = /return \{\n([\s\S]*?)\n\s*\};/.exec(body);
  return returned ? entries(returned[1], functions) : {};
}

function schema(kind, type) {
  // lib/ecs-service for aws_ecs_service, lib/data-aws-iam-policy-document for data "aws_iam_policy_document"
  const folderName = (kind === "data" ? `data-${type}` : type.replace(/^aws_/, "")).replace(/_/g, "-");
  const file = path.join(packageDir, "lib", folderName, "index.js");
  const source = fs.readFileSync(file, "utf8");
  const functions = new Map();
  for (const match of source.matchAll(/^function (\w+)ToTerraform\(struct\) \{\n([\s\S]*?)\n\}$/gm)) functions.set(match[1], match[2]);
  const top = /synthesizeAttributes\(\) \{\n\s*return \{\n([\s\S]*?)\n\s*\};/.exec(source);
  if (!top) throw new Error(`${file}: no synthesizeAttributes`);
  return entries(top[1], functions);
}

(async () => {
  const used = { resource: new Set(), data: new Set() };
  for (const file of fs.readdirSync(folder).filter((f) => f.endsWith(".tf"))) {
    const body = await hcl.parse(file, fs.readFileSync(path.join(folder, file), "utf8"));
    for (const kind of ["resource", "data"])
      for (const type of Object.keys(body[kind] || {})) if (type.startsWith("aws_")) used[kind].add(type);
  }
  const version = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
  const provider = version.cdktf.provider;
  const result = {
    source: `@cdktf/provider-aws@${version.version}`,
    provider: `${provider.name} ${provider.version}`,
    configuration: schema("provider", "aws_provider"), // the provider block: lib/provider
    resource: {},
    data: {},
  };
  for (const kind of ["resource", "data"])
    for (const type of [...used[kind]].sort()) result[kind][type] = schema(kind, type);
  fs.writeFileSync(output, JSON.stringify(result, null, 1) + "\n");
  console.log(`wrote ${path.relative(".", output)}: ${used.resource.size} resource and ${used.data.size} data source types of ${result.provider}`);
})();
