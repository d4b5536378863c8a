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

// The names an interface of index.d.ts declares without "?": the required arguments (camelCase).
function requiredOf(declarations, interfaceName) {
  const body = new RegExp(`export interface ${interfaceName}(?: extends [\\w.]+)? \\{\\n([\\s\\S]*?)\\n\\}`).exec(declarations);
  if (!body) throw new Error(`no interface ${interfaceName}`);
  return new Set([...body[1].matchAll(/^\s+readonly (\w+): /gm)].map((m) => m[1]));
}

// "return { a: cdktf.stringToTerraform(this._a), b: fooBarToTerraform(struct.b), }" ->
// { a: null, b: <FooBar's arguments>, "!required": [names declared without "?"] }
function entries(body, required, source) {
  const result = {};
  const requiredNames = [];
  for (const match of body.matchAll(/^\s+(\w+): (.*),$/gm)) {
    const nested = /(?<![.\w])([a-z]\w*?)ToTerraform\b/.exec(match[2]);
    result[match[1]] = nested ? argumentsOf(nested[1], source) : null;
    const camel = /(?:this\._|struct\??\.)(\w+)/.exec(match[2]);
    if (camel && required.has(camel[1])) requiredNames.push(match[1]);
  }
  if (requiredNames.length) result["!required"] = requiredNames;
  return result;
}

function argumentsOf(name, source) {
  const body = source.functions.get(name);
  if (body === undefined) throw new Error(`no function ${name}ToTerraform`);
  const returned = /return \{\n([\s\S]*?)\n\s*\};/.exec(body);
  const interfaceName = name[0].toUpperCase() + name.slice(1);
  return returned ? entries(returned[1], requiredOf(source.declarations, interfaceName), source) : {};
}

function schema(kind, type) {
  // lib/ecs-service for aws_ecs_service, lib/data-aws-iam-policy-document for data "aws_iam_policy_document"
  const folderName = (kind === "data" ? `data-${type}` : type.replace(/^aws_/, "")).replace(/_/g, "-");
  const file = path.join(packageDir, "lib", folderName, "index.js");
  const code = fs.readFileSync(file, "utf8");
  const source = { functions: new Map(), declarations: fs.readFileSync(file.replace(/\.js$/, ".d.ts"), "utf8") };
  for (const match of code.matchAll(/^function (\w+)ToTerraform\(struct\) \{\n([\s\S]*?)\n\}$/gm)) source.functions.set(match[1], match[2]);
  const top = /synthesizeAttributes\(\) \{\n\s*return \{\n([\s\S]*?)\n\s*\};/.exec(code);
  if (!top) throw new Error(`${file}: no synthesizeAttributes`);
  const className = /^(\w+)\.tfResourceType = /m.exec(code)?.[1] ?? "AwsProvider";
  return entries(top[1], requiredOf(source.declarations, `${className}Config`), source);
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
