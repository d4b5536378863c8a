using System.Text.Json.Nodes;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;

namespace Slipway.Delivery.Tests.Ecs;

public sealed class EcsEnvironmentFileTests
{
    private const string Source = ".nuke/environments/ecs.json";

    private static JsonObject Valid() => JsonNode.Parse("""
        {
          "registry": { "kind": "ecr", "region": "eu-west-1", "account": "123456789012" },
          "strategy": "ecs",
          "project": "slipway",
          "ecs": { "region": "eu-west-1", "cluster": "slipway-staging", "service": "slipway-api", "containerName": "api",
                   "loadBalancerUrl": "https://staging.slipway.example.com", "subnets": ["subnet-0a1b", "subnet-0a1c"],
                   "securityGroups": ["sg-0a1d"], "logGroup": "/ecs/slipway-staging", "logStreamPrefix": "api", "dynamoDbTable": "slipway-staging-delivery" },
          "health": { "timeoutSeconds": 600 },
          "smoke": { "timeoutSeconds": 60, "retries": 6, "initialBackoffMilliseconds": 500 }
        }
        """)!.AsObject();

    [Fact]
    public void The_repositorys_ecs_environment_names_its_service_and_needs_no_compose_files()
    {
        var environment = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Ecs);

        Assert.Equal(DeployStrategy.Ecs, environment.Strategy);
        var ecs = environment.Ecs!;
        Assert.Equal(("slipway-staging", "slipway-api", "api", "slipway-staging-delivery"), (ecs.Cluster, ecs.Service, ecs.ContainerName, ecs.Table));
        Assert.Equal(ecs.LoadBalancerUrl, environment.PublicUrl);
        Assert.Equal(("api", 0), (environment.Compose.AppService, environment.Compose.Files.Count));
        Assert.Empty(environment.Secrets);
    }

    [Fact]
    public void A_valid_ecs_section_reads_every_setting()
    {
        var environment = EnvironmentFile.Parse(Valid().ToJsonString(), EnvironmentName.Ecs, Source);

        Assert.Equal(new EcsSettings("eu-west-1", "slipway-staging", "slipway-api", "api", new Uri("https://staging.slipway.example.com"),
            environment.Ecs!.Subnets, environment.Ecs.SecurityGroups, "/ecs/slipway-staging", "api", "slipway-staging-delivery"), environment.Ecs);
        Assert.Equal(["subnet-0a1b", "subnet-0a1c"], environment.Ecs.Subnets);
        Assert.Equal(["sg-0a1d"], environment.Ecs.SecurityGroups);
    }

    // Each mistake is one line naming the field and what to put there, before anything is read from AWS.
    [Theory]
    [InlineData("ecs", null, "ecs is missing")]
    [InlineData("ecs.cluster", null, "ecs.cluster is missing")]
    [InlineData("ecs.region", "Ireland", "ecs.region must be an AWS region such as eu-west-1 (terraform output aws_region), got 'Ireland'")]
    [InlineData("ecs.subnets", "[\"subnet-0a1b\",\"10.0.1.0/24\"]", "ecs.subnets must list subnet ids such as subnet-0a1b2c3d (terraform output task_subnet_ids), got '10.0.1.0/24'")]
    [InlineData("ecs.securityGroups", "[]", "ecs.securityGroups must list at least one entry")]
    [InlineData("ecs.loadBalancerUrl", "\"slipway-alb-123.eu-west-1.elb.amazonaws.com\"", "ecs.loadBalancerUrl must be an http:// or https:// URL, got 'slipway-alb-123.eu-west-1.elb.amazonaws.com'")]
    [InlineData("ecs.clsuter", "\"x\"", "unknown key \"ecs.clsuter\" (did you mean \"ecs.cluster\"?)")]
    [InlineData("compose", "{}", "compose is not read in an ecs environment: the task definition is the live service's")]
    [InlineData("publicUrl", "\"https://x.example.com\"", "publicUrl is ecs.loadBalancerUrl in an ecs environment")]
    [InlineData("secrets", "[\"POSTGRES_PASSWORD\"]", "secrets are not handed to an ecs environment: its task definition names them in Secrets Manager (valueFrom); remove \"secrets\"")]
    public void A_mistake_in_the_ecs_section_is_one_line_naming_the_field(string path, string? json, string expected)
    {
        var file = Valid();
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? file : file[parts[0]]!.AsObject();
        if (json is null)
            parent.Remove(parts[^1]);
        else
            parent[parts[^1]] = JsonNode.Parse(json.StartsWith('[') || json.StartsWith('{') || json.StartsWith('"') ? json : $"\"{json}\"");

        var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Parse(file.ToJsonString(), EnvironmentName.Ecs, Source));

        Assert.Equal($"{Source}: {expected}", error.Message);
    }

    [Fact]
    public void An_ecs_section_in_another_strategys_file_is_refused()
    {
        var file = Valid();
        file["strategy"] = "swarm";

        var error = Assert.Throws<EnvironmentFileException>(() => EnvironmentFile.Parse(file.ToJsonString(), EnvironmentName.Staging, Source));

        Assert.Equal($"{Source}: ecs is for \"strategy\": \"ecs\" only", error.Message);
    }
}
