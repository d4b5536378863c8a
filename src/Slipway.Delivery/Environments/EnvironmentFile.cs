using Slipway.Spelling;
using System.Text.Json;

namespace Slipway.Delivery.Environments;

/// <summary>
/// Reads <c>.nuke/environments/&lt;name&gt;.json</c> into a <see cref="DeployEnvironment"/>. Every
/// malformed or missing field is one <see cref="EnvironmentFileException"/> naming the file, the
/// field and what is expected.
/// </summary>
public static class EnvironmentFile
{
    public const string Folder = ".nuke/environments";

    /// <summary>Reads the environment's file; messages name it relative to the repository root.</summary>
    public static DeployEnvironment Load(string repositoryRoot, EnvironmentName name)
    {
        var relative = $"{Folder}/{name.Id()}.json";
        var path = Path.Combine(repositoryRoot, relative);
        if (!File.Exists(path))
            throw new EnvironmentFileException($"{relative} not found: every environment is described by a file in {Folder}/");
        return Parse(File.ReadAllText(path), name, relative);
    }

    public static DeployEnvironment Parse(string json, EnvironmentName name, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new EnvironmentFileException($"{source}: not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = new Fields(document.RootElement, source, "",
                ["docker", "registry", "strategy", "project", "publicUrl", "trustedCaFile", "compose", "ecs", "secrets", "generateMissingSecrets", "health", "smoke", "drainSeconds", "bootstrap"]);
            var strategy = root.Enum("strategy", new Dictionary<string, DeployStrategy> { ["single-host"] = DeployStrategy.SingleHost, ["swarm"] = DeployStrategy.Swarm, ["ecs"] = DeployStrategy.Ecs });
            var docker = root.Object("docker", required: false, ["host", "certPath"]);
            var registry = root.Object("registry", ["kind", "address", "user", "passwordVariable", "region", "account"]);
            var health = root.Object("health", ["timeoutSeconds"]);
            var smoke = root.Object("smoke", ["timeoutSeconds", "retries", "initialBackoffMilliseconds"]);
            var isLocal = name.IsOnThisMachine();
            var ecs = strategy == DeployStrategy.Ecs ? ReadEcs(root) : root.Absent<EcsSettings>("ecs", "is for \"strategy\": \"ecs\" only");

            var environment = new DeployEnvironment
            {
                Name = name,
                SourceFile = source,
                Docker = new DockerSettings(docker?.String("host", required: false), docker?.String("certPath", required: false)),
                Registry = ReadRegistry(registry),
                Strategy = strategy,
                Project = root.Name("project"),
                PublicUrl = ecs is null ? root.HttpsUrl("publicUrl") : root.Absent<Uri>("publicUrl", "is ecs.loadBalancerUrl in an ecs environment") ?? ecs.LoadBalancerUrl,
                TrustedCaFile = root.String("trustedCaFile", required: false),
                Compose = ecs is null ? ReadCompose(root.Object("compose", ["files", "appService", "proxyService", "upstreamFile", "appPort", "variables"])) : root.Absent<ComposeSettings>("compose", "is not read in an ecs environment: the task definition is the live service's") ?? ComposeSettings.ForEcs(ecs.ContainerName),
                Ecs = ecs,
                Secrets = root.Strings("secrets", required: false),
                GenerateMissingSecrets = root.Bool("generateMissingSecrets", isLocal),
                Health = new HealthSettings(health.Seconds("timeoutSeconds")),
                Smoke = new SmokeSettings(smoke.Seconds("timeoutSeconds"), smoke.Int("retries", 0, 20), TimeSpan.FromMilliseconds(smoke.Int("initialBackoffMilliseconds", 1, 60_000))),
                Drain = root.Seconds("drainSeconds", required: false) ?? TimeSpan.FromSeconds(2),
                Bootstrap = root.Bool("bootstrap", false),
            };
            if (ecs is not null && environment.Secrets.Count > 0)
                throw new EnvironmentFileException($"{source}: secrets are not handed to an ecs environment: its task definition names them in Secrets Manager (valueFrom); remove \"secrets\"");
            if (environment.Bootstrap && !isLocal)
                throw new EnvironmentFileException($"{source}: bootstrap is for the environments on this machine only ({EnvironmentNames.OnThisMachine}: it starts an engine here)");
            if (environment.GenerateMissingSecrets && !isLocal)
                throw new EnvironmentFileException($"{source}: generateMissingSecrets is for the environments on this machine only ({EnvironmentNames.OnThisMachine}); supply {name.Id()} secrets from your secret store");
            return environment;
        }
    }

    private static ComposeSettings ReadCompose(Fields compose) => new(
        compose.Strings("files"),
        compose.Name("appService"),
        compose.Name("proxyService"),
        compose.String("upstreamFile")!,
        compose.Int("appPort", 1, 65535),
        compose.StringMap("variables"));

    private static EcsSettings ReadEcs(Fields root)
    {
        var ecs = root.Object("ecs", ["region", "cluster", "service", "containerName", "loadBalancerUrl", "subnets", "securityGroups", "logGroup", "logStreamPrefix", "dynamoDbTable"]);
        return new EcsSettings(
            ecs.Matching("region", Region, "an AWS region such as eu-west-1 (terraform output aws_region)"),
            ecs.Matching("cluster", "^[A-Za-z0-9_-]{1,255}$", "an ECS cluster name (terraform output ecs_cluster_name)"),
            ecs.Matching("service", "^[A-Za-z0-9_-]{1,255}$", "an ECS service name (terraform output ecs_service_name)"),
            ecs.Matching("containerName", "^[A-Za-z0-9_-]{1,255}$", "the task definition's container name (terraform output container_name)"),
            ecs.HttpUrl("loadBalancerUrl"),
            ecs.EachMatching("subnets", "^subnet-[0-9a-f]{1,17}$", "subnet ids such as subnet-0a1b2c3d (terraform output task_subnet_ids)"),
            ecs.EachMatching("securityGroups", "^sg-[0-9a-f]{1,17}$", "security group ids such as sg-0a1b2c3d (terraform output task_security_group_ids)"),
            ecs.Matching("logGroup", @"^[\w#/.-]{1,512}$", "a CloudWatch log group name (terraform output log_group_name)"),
            ecs.Matching("logStreamPrefix", @"^[^:*]{1,256}$", "the awslogs stream prefix (terraform output log_stream_prefix)"),
            ecs.Matching("dynamoDbTable", "^[A-Za-z0-9_.-]{3,255}$", "a DynamoDB table name (terraform output dynamodb_table_name)"));
    }

    private const string Region = @"^[a-z]{2}(-[a-z]+)+-\d$";

    private static RegistrySettings ReadRegistry(Fields registry)
    {
        var kind = registry.Enum("kind", new Dictionary<string, RegistryKind> { ["basic"] = RegistryKind.Basic, ["ecr"] = RegistryKind.Ecr });
        if (kind == RegistryKind.Ecr)
        {
            var region = registry.Matching("region", Region, "an AWS region such as eu-west-1");
            var account = registry.Matching("account", @"^\d{12}$", "a 12-digit AWS account id");
            return new RegistrySettings(kind, RegistrySettings.EcrAddress(account, region), "AWS", null, region, account);
        }

        return new RegistrySettings(kind, registry.String("address")!, registry.String("user")!,
            registry.Matching("passwordVariable", "^[A-Z_][A-Z0-9_]*$", "the NAME of an environment variable holding the password (never the password)"), null, null);
    }

    /// <summary>
    /// Typed access to one JSON object's fields, with messages that name the field path. An unknown key (a typo
    /// that would otherwise be ignored, or reported as its correct spelling "is missing") is refused on creation.
    /// </summary>
    private sealed class Fields
    {
        private readonly JsonElement element;
        private readonly string source;
        private readonly string prefix;

        public Fields(JsonElement element, string source, string prefix, IReadOnlyList<string> keys)
        {
            (this.element, this.source, this.prefix) = (element, source, prefix);
            if (element.ValueKind != JsonValueKind.Object)
                return;
            foreach (var property in element.EnumerateObject().Where(p => !keys.Contains(p.Name, StringComparer.Ordinal)))
            {
                var suggestion = DidYouMean.Closest(property.Name, keys);
                throw new EnvironmentFileException($"{source}: unknown key \"{prefix}{property.Name}\"" +
                    (suggestion is null ? $" (known: {string.Join(", ", keys)})" : $" (did you mean \"{prefix}{suggestion}\"?)"));
            }
        }

        private JsonElement? Get(string name, bool required)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                return value;
            return required ? throw Error(name, "is missing") : null;
        }

        private EnvironmentFileException Error(string name, string problem) => new($"{source}: {prefix}{name} {problem}");

        public Fields? Object(string name, bool required, IReadOnlyList<string> keys) =>
            Get(name, required) is { } value
                ? value.ValueKind == JsonValueKind.Object ? new Fields(value, source, $"{prefix}{name}.", keys) : throw Error(name, "must be an object")
                : null;

        public Fields Object(string name, IReadOnlyList<string> keys) => Object(name, required: true, keys)!;

        public string? String(string name, bool required = true) =>
            Get(name, required) is { } value
                ? value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : throw Error(name, "must be a non-empty string")
                : null;

        public string Matching(string name, string pattern, string expected)
        {
            var text = String(name)!;
            return System.Text.RegularExpressions.Regex.IsMatch(text, pattern) ? text : throw Error(name, $"must be {expected}, got '{text}'");
        }

        public string Name(string name) => Matching(name, "^[a-z0-9][a-z0-9_.-]*$", "lower-case letters, digits, '-', '_' or '.'");

        public Uri HttpsUrl(string name)
        {
            var text = String(name)!;
            return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? uri
                : throw Error(name, $"must be an https:// URL, got '{text}'");
        }

        /// <summary>An http:// or https:// URL (a load balancer in a test may speak plain HTTP).</summary>
        public Uri HttpUrl(string name)
        {
            var text = String(name)!;
            return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? uri
                : throw Error(name, $"must be an http:// or https:// URL, got '{text}'");
        }

        /// <summary>A non-empty array whose every entry matches <paramref name="pattern"/>; the first that does not is named.</summary>
        public IReadOnlyList<string> EachMatching(string name, string pattern, string expected)
        {
            var items = Strings(name);
            return items.FirstOrDefault(i => !System.Text.RegularExpressions.Regex.IsMatch(i, pattern)) is { } wrong
                ? throw Error(name, $"must list {expected}, got '{wrong}'")
                : items;
        }

        /// <summary>Refuses a key that does not apply here; returns null so a default can follow with ??.</summary>
        public T? Absent<T>(string name, string why) where T : class =>
            Get(name, required: false) is null ? null : throw Error(name, why);

        public int Int(string name, int min, int max)
        {
            var value = Get(name, required: true)!.Value;
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
                ? number
                : throw Error(name, $"must be a whole number from {min} to {max}, got {value.GetRawText()}");
        }

        public TimeSpan? Seconds(string name, bool required)
        {
            if (Get(name, required) is not { } value)
                return null;
            return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && seconds is >= 0 and <= 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw Error(name, $"must be a number of seconds from 0 to 3600, got {value.GetRawText()}");
        }

        public TimeSpan Seconds(string name) => Seconds(name, required: true)!.Value;

        public bool Bool(string name, bool fallback) =>
            Get(name, required: false) is { } value
                ? value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Error(name, "must be true or false")
                : fallback;

        public T Enum<T>(string name, IReadOnlyDictionary<string, T> choices)
        {
            var text = String(name)!;
            return choices.TryGetValue(text, out var choice)
                ? choice
                : throw Error(name, $"must be {string.Join(" or ", choices.Keys.Select(k => $"'{k}'"))}, got '{text}'");
        }

        public IReadOnlyList<string> Strings(string name, bool required = true)
        {
            if (Get(name, required) is not { } value)
                return [];
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 }))
                throw Error(name, "must be an array of non-empty strings");
            var items = value.EnumerateArray().Select(v => v.GetString()!).ToArray();
            return required && items.Length == 0 ? throw Error(name, "must list at least one entry") : items;
        }

        public IReadOnlyDictionary<string, string> StringMap(string name)
        {
            if (Get(name, required: false) is not { } value)
                return new Dictionary<string, string>();
            if (value.ValueKind != JsonValueKind.Object)
                throw Error(name, "must be an object of name: \"value\" pairs");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                map[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    _ => throw Error($"{name}.{property.Name}", "must be a string or a number"),
                };
            }

            return map;
        }
    }
}

/// <summary>An environment file is missing or malformed; the message names the file and field.</summary>
public sealed class EnvironmentFileException(string message) : DeliveryException(message, DeliveryFailure.Usage);
