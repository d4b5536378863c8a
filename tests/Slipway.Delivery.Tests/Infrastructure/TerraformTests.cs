using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Tests.Infrastructure;

/// <summary>
/// build/terraform cannot be planned here (no provider downloads, no AWS): these tests parse it with
/// HashiCorp's own HCL parser and check what holds without AWS, namely syntax, references, variables, outputs and
/// the settings the "ecs" strategy relies on. What only AWS can prove is listed in the README's ECS section.
/// </summary>
public sealed class TerraformTests : IDisposable
{
    /// <summary>
    /// The names an environment file of strategy "ecs" will hold (issue #14: cluster, service, container name,
    /// load balancer URL, subnets and security groups for one-off tasks, log group, the DynamoDB table, the ECR
    /// repository) and the OIDC role the deploy workflow assumes, each with the output it is copied from and
    /// what that output must name. The file itself does not exist yet: the environment loader knows no "ecs"
    /// strategy, so the list lives here until it does.
    /// </summary>
    private static readonly IReadOnlyList<(string Field, string Output, string Names)> EcsEnvironmentNames =
    [
        ("registry.region", "aws_region", "var.region"),
        ("registry.account", "aws_account_id", "var.account_id"),
        ("cluster", "ecs_cluster_name", "aws_ecs_cluster.main.name"),
        ("service", "ecs_service_name", "aws_ecs_service.app.name"),
        ("containerName", "container_name", "var.container_name"),
        ("loadBalancerUrl", "load_balancer_url", "var.public_host_name"),
        ("subnets", "task_subnet_ids", "aws_subnet.private[*].id"),
        ("securityGroups", "task_security_group_ids", "aws_security_group.tasks.id"),
        ("logGroup", "log_group_name", "aws_cloudwatch_log_group.app.name"),
        ("dynamoDbTable", "dynamodb_table_name", "aws_dynamodb_table.delivery.name"),
        ("repository", "ecr_repository_url", "local.app_repository_url"),
        ("AWS_ROLE_ARN (GitHub environment variable)", "github_deploy_role_arn", "aws_iam_role.github_deploy.arn"),
    ];

    private static readonly Lazy<TerraformConfiguration> Committed = new(() => TerraformConfiguration.Load(RepositoryRoot.Path));

    private readonly string scratch = Path.Combine(Path.GetTempPath(), "slipway-terraform-" + Guid.NewGuid().ToString("N"));

    private static TerraformConfiguration Configuration => Committed.Value;

    public void Dispose()
    {
        if (Directory.Exists(scratch))
            Directory.Delete(scratch, recursive: true);
    }

    [HclParserFact]
    public void Every_file_parses_with_HashiCorps_HCL_parser()
    {
        var errors = Configuration.Files.Where(f => f.Error is not null).Select(f => f.Error!).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));

        var paths = Configuration.Files.Select(f => f.RelativePath).ToList();
        foreach (var expected in new[] { "versions.tf", "outputs.tf", "environments/staging.tfvars", "environments/prod.tfvars", "environments/staging.s3.tfbackend", "environments/prod.s3.tfbackend" })
            Assert.Contains($"{TerraformConfiguration.Folder}/{expected}", paths);
    }

    /// <summary>The control: the parser in use does reject a broken file, and its message names the file and the line.</summary>
    [HclParserFact]
    public void A_syntax_error_is_reported_with_its_file_and_line()
    {
        Directory.CreateDirectory(Path.Combine(scratch, "infra"));
        File.WriteAllText(Path.Combine(scratch, "infra", "good.tf"), "output \"x\" {\n  value = 1\n}\n");
        File.WriteAllText(Path.Combine(scratch, "infra", "broken.tf"), "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a\"\n  tags = { Name = }\n}\n");

        var files = TerraformConfiguration.Load(scratch, "infra").Files;

        Assert.Null(files.Single(f => f.RelativePath == "infra/good.tf").Error);
        var error = files.Single(f => f.RelativePath == "infra/broken.tf").Error;
        Assert.NotNull(error);
        Assert.StartsWith("infra/broken.tf:3:", error);
    }

    [HclParserFact]
    public void Every_name_the_ECS_environment_file_uses_is_an_output_of_what_it_names()
    {
        var outputs = Configuration.Blocks("output");
        var problems = new List<string>();
        foreach (var (field, output, names) in EcsEnvironmentNames)
        {
            if (!outputs.TryGetValue(output, out var body))
                problems.Add($"{field}: no output \"{output}\"");
            else if (!body.TryGetProperty("value", out var value) || !value.ToString().Contains(names, StringComparison.Ordinal))
                problems.Add($"{field}: output \"{output}\" does not name {names} (value: {(body.TryGetProperty("value", out var v) ? v.ToString() : "none")})");
            else if (!body.TryGetProperty("description", out _))
                problems.Add($"{field}: output \"{output}\" has no description");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// The other half of what terraform validate checks: each argument and nested block is one the AWS provider
    /// accepts for that type, and none it requires is missing, as its schema says (aws-provider-arguments.json,
    /// a snapshot that aws-provider-arguments.js takes from @cdktf/provider-aws). Types and values are not checked.
    /// </summary>
    [HclParserFact]
    public void Every_argument_and_block_is_one_the_AWS_provider_accepts()
    {
        using var snapshot = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("tests", "Slipway.Delivery.Tests", "Infrastructure", "aws-provider-arguments.json")));
        var schema = snapshot.RootElement;
        var problems = new List<string>();
        var checkedArguments = 0;

        foreach (var file in Configuration.TerraformFiles)
        {
            foreach (var kind in new[] { "resource", "data" })
            {
                if (!file.Body!.Value.TryGetProperty(kind, out var types))
                    continue;
                foreach (var type in types.EnumerateObject().Where(t => t.Name.StartsWith("aws_", StringComparison.Ordinal)))
                {
                    if (!schema.GetProperty(kind).TryGetProperty(type.Name, out var arguments))
                    {
                        problems.Add($"{file.RelativePath}: {kind} {type.Name} is not in the snapshot: regenerate it (aws-provider-arguments.js)");
                        continue;
                    }

                    foreach (var block in type.Value.EnumerateObject())
                        Check(file.RelativePath, $"{type.Name}.{block.Name}", block.Value[0], arguments, topLevel: true);
                }
            }

            if (file.Body!.Value.TryGetProperty("provider", out var providers) && providers.TryGetProperty("aws", out var aws))
                Check(file.RelativePath, "provider aws", aws[0], schema.GetProperty("configuration"), topLevel: false);
        }

        Assert.True(problems.Count == 0, $"against the schema of {schema.GetProperty("provider").GetString()}:\n" + string.Join('\n', problems));
        Assert.True(checkedArguments > 200, $"only {checkedArguments} arguments checked: the walk is not reading the resources");

        void Check(string file, string where, JsonElement body, JsonElement arguments, bool topLevel)
        {
            if (arguments.TryGetProperty("!required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(r => !body.TryGetProperty(r, out _)))
                    problems.Add($"{file}: {where}: the required \"{name}\" is missing");
            }

            foreach (var argument in body.EnumerateObject())
            {
                if (topLevel && MetaArguments.Contains(argument.Name))
                    continue;
                checkedArguments++;
                if (!arguments.TryGetProperty(argument.Name, out var nested))
                    problems.Add($"{file}: {where}: no argument or block \"{argument.Name}\"");
                else if (nested.ValueKind == JsonValueKind.Object && argument.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var element in argument.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
                        Check(file, $"{where}.{argument.Name}", element, nested, topLevel: false);
                }
            }
        }
    }

    private static readonly HashSet<string> MetaArguments = ["count", "for_each", "depends_on", "lifecycle", "provider"];

    /// <summary>What terraform validate would find first: a variable, local, resource or data source used but never declared.</summary>
    [HclParserFact]
    public void Every_reference_names_a_declaration()
    {
        var variables = Configuration.Blocks("variable").Keys.ToHashSet();
        var locals = Configuration.Locals;
        var resources = Configuration.Resources().Keys.ToHashSet();
        var data = Configuration.Resources("data").Keys.ToHashSet();
        var unresolved = new SortedSet<string>(StringComparer.Ordinal);
        var seen = 0;

        foreach (var (file, expression) in Configuration.Expressions())
        {
            foreach (Match m in Regex.Matches(expression, @"(?<![\w.])var\.(\w+)"))
                Check(file, m.Value, variables.Contains(m.Groups[1].Value));
            foreach (Match m in Regex.Matches(expression, @"(?<![\w.])local\.(\w+)"))
                Check(file, m.Value, locals.Contains(m.Groups[1].Value));
            foreach (Match m in Regex.Matches(expression, @"(?<![\w.])data\.(\w+)\.(\w+)"))
                Check(file, m.Value, data.Contains($"{m.Groups[1].Value}.{m.Groups[2].Value}"));
            foreach (Match m in Regex.Matches(expression, @"(?<![\w.])((?:aws|random)_\w+)\.(\w+)"))
                Check(file, m.Value, resources.Contains($"{m.Groups[1].Value}.{m.Groups[2].Value}"));
        }

        Assert.True(unresolved.Count == 0, "undeclared: " + string.Join(", ", unresolved));
        Assert.True(seen > 100, $"only {seen} references found: the scan is not reading the expressions");

        void Check(string file, string reference, bool declared)
        {
            seen++;
            if (!declared)
                unresolved.Add($"{reference} ({file})");
        }
    }

    [HclParserFact]
    public void Each_environment_sets_every_required_variable_and_no_unknown_one()
    {
        var variables = Configuration.Blocks("variable");
        var required = variables.Where(v => !v.Value.TryGetProperty("default", out _)).Select(v => v.Key).ToHashSet();
        var environments = Configuration.VariableFiles.ToList();
        Assert.Equal(2, environments.Count);

        foreach (var file in environments)
        {
            var set = file.Body!.Value.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.True(set.IsSubsetOf(variables.Keys), $"{file.RelativePath} sets undeclared: {string.Join(", ", set.Except(variables.Keys))}");
            Assert.True(required.IsSubsetOf(set), $"{file.RelativePath} lacks: {string.Join(", ", required.Except(set))}");
            var name = Path.GetFileNameWithoutExtension(file.RelativePath);
            Assert.Equal(name, file.Body!.Value.GetProperty("environment").GetString());
        }
    }

    [HclParserFact]
    public void The_state_is_remote_per_environment_with_locking_and_the_providers_are_pinned()
    {
        var terraform = Configuration.TerraformFiles.Single(f => f.Body!.Value.TryGetProperty("terraform", out _)).Body!.Value.GetProperty("terraform")[0];
        var backend = terraform.GetProperty("backend").GetProperty("s3")[0];
        Assert.True(backend.GetProperty("use_lockfile").GetBoolean(), "the S3 backend must lock the state (use_lockfile = true)");
        Assert.True(backend.GetProperty("encrypt").GetBoolean(), "the S3 backend must encrypt the state (it holds the generated passwords)");
        Assert.Matches(@"^>= 1\.1\d", terraform.GetProperty("required_version").GetString());

        var providers = terraform.GetProperty("required_providers")[0];
        Assert.Equal("hashicorp/aws", providers.GetProperty("aws").GetProperty("source").GetString());
        Assert.Equal("~> 6.0", providers.GetProperty("aws").GetProperty("version").GetString());
        Assert.Equal("~> 3.7", providers.GetProperty("random").GetProperty("version").GetString());

        var keys = Configuration.Files.Where(f => f.RelativePath.EndsWith(".s3.tfbackend", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f.RelativePath), f => f.Body!.Value);
        Assert.Equal(2, keys.Count);
        Assert.True(keys.Values.All(k => k.GetProperty("use_lockfile").GetBoolean()), "each environments/*.s3.tfbackend sets use_lockfile = true");
        Assert.NotEqual(keys["staging.s3.tfbackend"].GetProperty("key").GetString(), keys["prod.s3.tfbackend"].GetProperty("key").GetString());
    }

    [HclParserFact]
    public void The_resources_have_the_settings_the_ecs_strategy_relies_on()
    {
        var resources = Configuration.Resources();
        var variables = Configuration.Blocks("variable");

        var breaker = resources["aws_ecs_service.app"].GetProperty("deployment_circuit_breaker")[0];
        Assert.True(breaker.GetProperty("enable").GetBoolean());
        Assert.True(breaker.GetProperty("rollback").GetBoolean());
        Assert.Equal("${task_definition}", resources["aws_ecs_service.app"].GetProperty("lifecycle")[0].GetProperty("ignore_changes")[0].GetString());

        Assert.True(resources["aws_ecr_repository.images"].GetProperty("image_scanning_configuration")[0].GetProperty("scan_on_push").GetBoolean());

        var redis = resources["aws_elasticache_replication_group.redis"];
        Assert.True(redis.GetProperty("transit_encryption_enabled").GetBoolean());
        Assert.Equal("${random_password.redis_auth.result}", redis.GetProperty("auth_token").GetString());

        Assert.Equal("${var.log_retention_days}", resources["aws_cloudwatch_log_group.app"].GetProperty("retention_in_days").GetString());
        Assert.Equal(30, variables["log_retention_days"].GetProperty("default").GetInt32());
        Assert.All(Configuration.VariableFiles, f => Assert.False(f.Body!.Value.TryGetProperty("log_retention_days", out _)));

        var table = resources["aws_dynamodb_table.delivery"];
        Assert.Equal(("pk", "sk"), (table.GetProperty("hash_key").GetString(), table.GetProperty("range_key").GetString()));

        Assert.Equal("${random_password.postgres.result}", resources["aws_db_instance.postgres"].GetProperty("password").GetString());
        Assert.True(resources["aws_db_instance.postgres"].GetProperty("storage_encrypted").GetBoolean());
    }

    /// <summary>Secrets reach the task as Secrets Manager references; their values are generated, never written in a file.</summary>
    [HclParserFact]
    public void Secrets_are_referenced_by_ARN_and_no_value_is_in_code()
    {
        var resources = Configuration.Resources();
        var containers = resources["aws_ecs_task_definition.app"].GetProperty("container_definitions").GetString()!;
        Assert.Contains("DATABASE_URL", containers);
        Assert.Contains("valueFrom = aws_secretsmanager_secret.database_url.arn", containers);
        Assert.Contains("valueFrom = aws_secretsmanager_secret.redis_url.arn", containers);

        foreach (var version in new[] { "database_url", "redis_url" })
        {
            var value = resources[$"aws_secretsmanager_secret_version.{version}"].GetProperty("secret_string").GetString()!;
            Assert.Matches(@"\$\{random_password\.\w+\.result\}", value);
        }

        var literalSecrets = Configuration.Files
            .SelectMany(f => Regex.Matches(File.ReadAllText(RepositoryRoot.Combine(f.RelativePath)), @"(?im)^\s*(password|auth_token|secret_string)\s*=\s*""(?![^""]*\$\{)[^""]*""").Select(m => $"{f.RelativePath}: {m.Value.Trim()}"))
            .ToList();
        Assert.True(literalSecrets.Count == 0, string.Join('\n', literalSecrets));
    }

    [HclParserFact]
    public void The_GitHub_role_can_do_only_what_a_deploy_needs()
    {
        var data = Configuration.Resources("data");
        var statements = data["aws_iam_policy_document.github_deploy"].GetProperty("statement").EnumerateArray()
            .ToDictionary(s => s.GetProperty("sid").GetString()!, s => s);

        var actions = statements.Values.SelectMany(s => s.GetProperty("actions").EnumerateArray().Select(a => a.GetString()!)).ToHashSet();
        string[] expected =
        [
            "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:CreateRepository",
            "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:UpdateService", "ecs:DescribeServices",
            "ecs:RunTask", "ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks",
            "iam:PassRole", "logs:GetLogEvents", "logs:FilterLogEvents",
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), actions.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(actions, a => a.EndsWith('*') || a.StartsWith("secretsmanager:", StringComparison.Ordinal));

        // "*" only where AWS offers no resource-level permission (ListTasks is held to the cluster by a condition).
        var unscoped = statements.Where(s => s.Value.GetProperty("resources").ToString().Contains("\"*\"", StringComparison.Ordinal)).Select(s => s.Key).Order().ToList();
        Assert.Equal(["EcrLogin", "EcsListTasks", "EcsTaskDefinitions"], unscoped);

        Assert.Equal("[\"${aws_iam_role.task_execution.arn}\",\"${aws_iam_role.task.arn}\"]", statements["PassTaskRoles"].GetProperty("resources").GetRawText());
        Assert.Equal("[\"${aws_dynamodb_table.delivery.arn}\"]", statements["ReleaseLedger"].GetProperty("resources").GetRawText());
        Assert.DoesNotContain("dynamodb:UpdateItem", statements["ReleaseLedger"].GetProperty("actions").GetRawText());
        Assert.DoesNotContain("dynamodb:DeleteItem", statements["ReleaseLedger"].GetProperty("actions").GetRawText());

        var trust = data["aws_iam_policy_document.github_assume"].GetProperty("statement")[0];
        var conditions = trust.GetProperty("condition").EnumerateArray().ToDictionary(c => c.GetProperty("variable").GetString()!, c => c.GetProperty("values")[0].GetString());
        Assert.Equal("sts.amazonaws.com", conditions["token.actions.githubusercontent.com:aud"]);
        Assert.Equal("repo:${var.github_repository}:environment:${var.github_environment}", conditions["token.actions.githubusercontent.com:sub"]);

        var execution = data["aws_iam_policy_document.task_execution"].GetProperty("statement").EnumerateArray()
            .Single(s => s.GetProperty("actions").GetRawText().Contains("secretsmanager", StringComparison.Ordinal));
        Assert.Equal("${local.app_secret_arns}", execution.GetProperty("resources").GetString());
    }
}
