using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;

namespace Slipway.Delivery.Tests.Deployment;

public sealed class EnvironmentFileTests
{
    private const string Valid = """
        {
          "docker": { "host": "tcp://10.0.0.5:2376", "certPath": "/etc/slipway/docker" },
          "registry": { "kind": "basic", "address": "127.0.0.1:5000", "user": "AWS", "passwordVariable": "REGISTRY_PASSWORD" },
          "strategy": "single-host",
          "project": "slipway",
          "publicUrl": "https://localhost:8443",
          "compose": { "files": ["docker/compose/docker-compose.yml"], "appService": "api", "proxyService": "nginx",
                       "upstreamFile": "/etc/nginx/upstreams/api.conf", "appPort": 8080, "variables": { "NGINX_HTTPS_PORT": 8443 } },
          "secrets": ["POSTGRES_PASSWORD"],
          "health": { "timeoutSeconds": 60 },
          "smoke": { "timeoutSeconds": 30, "retries": 5, "initialBackoffMilliseconds": 200 },
          "drainSeconds": 2.5
        }
        """;

    public static TheoryData<EnvironmentName> Environments()
    {
        var names = new TheoryData<EnvironmentName>();
        foreach (var name in Enum.GetValues<EnvironmentName>())
            names.Add(name);
        return names;
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void Every_environment_has_a_file_in_the_repository_and_it_loads(EnvironmentName name)
    {
        var environment = EnvironmentFile.Load(RepositoryFiles.Root, name);

        Assert.Equal($".nuke/environments/{name.Id()}.json", environment.SourceFile);
        Assert.Equal("api", environment.Compose.AppService);
        Assert.All(environment.Compose.Files, f => Assert.True(File.Exists(RepositoryFiles.PathOf(f)), f));
        Assert.Equal(name.IsOnThisMachine(), environment.Bootstrap);
    }

    [Fact]
    public void Local_swarm_deploys_the_same_stack_with_the_swarm_strategy_beside_local()
    {
        var local = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Local);
        var swarm = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.LocalSwarm);

        Assert.Equal((DeployStrategy.SingleHost, DeployStrategy.Swarm), (local.Strategy, swarm.Strategy));
        Assert.Equal("local-swarm", swarm.Names.Environment);
        Assert.Equal([.. local.Compose.Files, "docker/compose/docker-compose.swarm.yml"], swarm.Compose.Files);
        Assert.Equal((local.Registry, local.Compose.AppService, local.Compose.ProxyService), (swarm.Registry, swarm.Compose.AppService, swarm.Compose.ProxyService));
        Assert.Equal(local.Secrets, swarm.Secrets);
        Assert.True(swarm.Bootstrap && swarm.GenerateMissingSecrets);
        // Both can run at once on one engine: no container, volume, network, lock, ledger or port in common.
        Assert.NotEqual(local.Names.Stack, swarm.Names.Stack);
        Assert.NotEqual(local.Names.Lock, swarm.Names.Lock);
        Assert.NotEqual(local.Names.LedgerVolume, swarm.Names.LedgerVolume);
        Assert.NotEqual(local.PublicUrl.Port, swarm.PublicUrl.Port);
        Assert.Empty(new[] { "NGINX_HTTP_PORT", "NGINX_HTTPS_PORT" }.Select(p => swarm.Compose.Variables[p]).Intersect(new[] { "NGINX_HTTP_PORT", "NGINX_HTTPS_PORT" }.Select(p => local.Compose.Variables[p])));
        Assert.Equal(swarm.PublicUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), swarm.Compose.Variables["NGINX_HTTPS_PORT"]);
    }

    [Fact]
    public void The_local_stack_publishes_no_port_but_nginx_s_on_loopback_since_migrations_run_on_its_network()
    {
        var local = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Local);

        var stack = SingleHostDeployer.LoadStack(local, RepositoryFiles.Root, "127.0.0.1:5000/slipway-api@sha256:" + new string('0', 64), "1.0.0",
            new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = "unused", ["NGINX_IMAGE"] = "slipway-nginx:1" });

        Assert.Equal(["nginx"], stack.Services.Values.Where(s => s.Ports.Count > 0).Select(s => s.Name));
        Assert.All(stack.Service("nginx").Ports, port => Assert.Equal("127.0.0.1", port.HostIp));
        Assert.Equal(["backend"], stack.Service("postgres").Networks);
    }

    [Fact]
    public void Prod_pulls_from_ecr_and_local_from_the_basic_auth_registry_by_variable_name()
    {
        var prod = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Prod);
        var local = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Local);

        Assert.Equal((RegistryKind.Ecr, "123456789012.dkr.ecr.eu-west-1.amazonaws.com"), (prod.Registry.Kind, prod.Registry.Address));
        Assert.Equal((RegistryKind.Basic, "SLIPWAY_REGISTRY_PASSWORD"), (local.Registry.Kind, local.Registry.PasswordVariable));
        Assert.True(local.GenerateMissingSecrets);
        Assert.False(prod.GenerateMissingSecrets);
    }

    [Fact]
    public void A_valid_file_is_read_into_typed_settings()
    {
        var environment = EnvironmentFile.Parse(Valid, EnvironmentName.Staging, "staging.json");

        Assert.Equal("tcp://10.0.0.5:2376", environment.Docker.Host);
        Assert.Equal(TimeSpan.FromSeconds(2.5), environment.Drain);
        Assert.Equal("8443", environment.Compose.Variables["NGINX_HTTPS_PORT"]);
        Assert.Equal(TimeSpan.FromMilliseconds(200), environment.Smoke.InitialBackoff);
        Assert.Equal("slipway-lock-staging", environment.Names.Lock);
        Assert.Equal("slipway-staging-api-blue", environment.Names.Container("api-blue"));
        var endpoint = environment.Docker.Resolve(_ => null);
        Assert.True(endpoint.UseTls);
    }

    [Theory]
    [InlineData("\"strategy\": \"single-host\"", "\"strategy\": \"kubernetes\"", "staging.json: strategy must be 'single-host' or 'swarm' or 'ecs', got 'kubernetes'")]
    [InlineData("\"kind\": \"basic\"", "\"kind\": \"gcr\"", "staging.json: registry.kind must be 'basic' or 'ecr', got 'gcr'")]
    [InlineData("\"passwordVariable\": \"REGISTRY_PASSWORD\"", "\"passwordVariable\": \"hunter2!\"", "staging.json: registry.passwordVariable must be the NAME of an environment variable holding the password (never the password), got 'hunter2!'")]
    [InlineData("\"publicUrl\": \"https://localhost:8443\"", "\"publicUrl\": \"http://localhost:8080\"", "staging.json: publicUrl must be an https:// URL, got 'http://localhost:8080'")]
    [InlineData("\"appPort\": 8080", "\"appPort\": 0", "staging.json: compose.appPort must be a whole number from 1 to 65535, got 0")]
    [InlineData("\"timeoutSeconds\": 60", "\"timeoutSeconds\": \"soon\"", "staging.json: health.timeoutSeconds must be a number of seconds from 0 to 3600, got \"soon\"")]
    [InlineData("\"project\": \"slipway\",", "", "staging.json: project is missing")]
    [InlineData("\"files\": [\"docker/compose/docker-compose.yml\"]", "\"files\": []", "staging.json: compose.files must list at least one entry")]
    [InlineData("\"secrets\": [\"POSTGRES_PASSWORD\"],", "\"secrets\": [\"POSTGRES_PASSWORD\"], \"bootstrap\": true,", "staging.json: bootstrap is for the environments on this machine only (local, local-swarm: it starts an engine here)")]
    public void Each_malformed_field_is_one_clear_error(string from, string to, string expected)
    {
        var json = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, json);

        var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Parse(json, EnvironmentName.Staging, "staging.json"));
        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("\"registry\":", "\"registy\":", "staging.json: unknown key \"registy\" (did you mean \"registry\"?)")]
    [InlineData("\"drainSeconds\"", "\"colour\": \"blue\", \"drainSeconds\"", "staging.json: unknown key \"colour\" (known: docker, registry, strategy, project, publicUrl, trustedCaFile, compose, ecs, secrets, generateMissingSecrets, health, smoke, drainSeconds, bootstrap)")]
    [InlineData("\"passwordVariable\":", "\"paswordVariable\":", "staging.json: unknown key \"registry.paswordVariable\" (did you mean \"registry.passwordVariable\"?)")]
    [InlineData("\"certPath\":", "\"certpath\":", "staging.json: unknown key \"docker.certpath\" (did you mean \"docker.certPath\"?)")]
    [InlineData("\"appService\":", "\"appServices\":", "staging.json: unknown key \"compose.appServices\" (did you mean \"compose.appService\"?)")]
    [InlineData("\"health\": { \"timeoutSeconds\"", "\"health\": { \"timeout\"", "staging.json: unknown key \"health.timeout\" (known: timeoutSeconds)")]
    [InlineData("\"retries\":", "\"retry\":", "staging.json: unknown key \"smoke.retry\" (known: timeoutSeconds, retries, initialBackoffMilliseconds)")]
    public void An_unknown_key_at_any_level_is_refused_with_the_closest_known_one(string from, string to, string expected)
    {
        var json = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, json);

        var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Parse(json, EnvironmentName.Staging, "staging.json"));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void The_file_is_named_relative_to_the_repository_root()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, ".nuke/environments"));
            File.WriteAllText(Path.Combine(root, ".nuke/environments/staging.json"), Valid.Replace("\"registry\":", "\"registy\":", StringComparison.Ordinal));
            var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Load(root, EnvironmentName.Staging));
            Assert.Equal(".nuke/environments/staging.json: unknown key \"registy\" (did you mean \"registry\"?)", error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Ecr_needs_a_region_and_an_account()
    {
        var json = Valid.Replace("\"kind\": \"basic\", \"address\": \"127.0.0.1:5000\", \"user\": \"AWS\", \"passwordVariable\": \"REGISTRY_PASSWORD\"",
            "\"kind\": \"ecr\", \"region\": \"eu-west-1\", \"account\": \"1234\"", StringComparison.Ordinal);

        var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Parse(json, EnvironmentName.Prod, "prod.json"));
        Assert.Equal("prod.json: registry.account must be a 12-digit AWS account id, got '1234'", error.Message);
    }

    [Fact]
    public void A_missing_file_names_the_folder()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Load(root, EnvironmentName.Prod));
            Assert.Equal(".nuke/environments/prod.json not found: every environment is described by a file in .nuke/environments/", error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Local_secrets_are_generated_once_and_kept_while_other_environments_require_them()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var local = EnvironmentFile.Parse(Valid.Replace("\"drainSeconds\": 2.5", "\"drainSeconds\": 2.5, \"generateMissingSecrets\": true", StringComparison.Ordinal), EnvironmentName.Local, "local.json");
            var log = new List<string>();
            var first = SecretValues.Resolve(local, root, _ => null, log.Add);
            var second = SecretValues.Resolve(local, root, _ => null, log.Add);
            var fromProcess = SecretValues.Resolve(local, root, name => name == "POSTGRES_PASSWORD" ? "from-env" : null, log.Add);

            Assert.Equal(36, first["POSTGRES_PASSWORD"].Length);
            Assert.Equal(first["POSTGRES_PASSWORD"], second["POSTGRES_PASSWORD"]);
            Assert.Equal("from-env", fromProcess["POSTGRES_PASSWORD"]);
            Assert.Single(log);
            Assert.DoesNotContain(first["POSTGRES_PASSWORD"], log[0], StringComparison.Ordinal);

            var staging = EnvironmentFile.Parse(Valid, EnvironmentName.Staging, "staging.json");
            var error = Assert.Throws<EnvironmentFileException>(() => SecretValues.Resolve(staging, root, _ => null, _ => { }));
            Assert.Equal("staging.json: secret POSTGRES_PASSWORD is not set: export it from your secret store before deploying staging (never write its value into the file)", error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
