using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>The local ECS control plane itself, driven by raw signed requests as an ECS client sends them.</summary>
public sealed class LocalEcsPlaneTests
{
    [Fact]
    public void The_circuit_breaker_threshold_is_half_the_desired_count_rounded_up_at_least_3_at_most_200()
    {
        Assert.Equal(3, DeploymentSettings.FailureThreshold(1));
        Assert.Equal(3, DeploymentSettings.FailureThreshold(6));
        Assert.Equal(4, DeploymentSettings.FailureThreshold(7));
        Assert.Equal(50, DeploymentSettings.FailureThreshold(100));
        Assert.Equal(200, DeploymentSettings.FailureThreshold(401));
        Assert.Equal(200, DeploymentSettings.FailureThreshold(1000));
    }

    [RegistryFact]
    public async Task A_request_signed_wrongly_or_by_an_unknown_key_is_refused_and_changes_nothing()
    {
        await using var plane = await LocalEcsPlane.StartAsync();
        var register = new JsonObject { ["family"] = "refused", ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1" }) }.ToJsonString();
        var target = LocalEcsPlane.EcsTargetPrefix + "RegisterTaskDefinition";
        var region = plane.Options.Region;
        Task<AwsAnswer> Send(ImmutableCredentials credentials, string signedRegion = "", string service = "ecs", Action<HttpRequestMessage>? tamper = null, DateTimeOffset? at = null) =>
            LocalEcsPlane.SendSignedAsync(plane.Endpoint, target, service, register, credentials, signedRegion.Length == 0 ? region : signedRegion, CancellationToken.None, tamper, at);

        var wrongSecret = await Send(new ImmutableCredentials(plane.Options.AccessKeyId, "not-the-secret", null));
        Assert.Equal((403, "InvalidSignatureException"), (wrongSecret.Status, wrongSecret.ErrorCode));
        Assert.Contains("does not match the signature you provided", wrongSecret.Body["message"]!.GetValue<string>());

        var unknownKey = await Send(new ImmutableCredentials("AKIAUNKNOWNKEY000000", plane.Options.SecretAccessKey, null));
        Assert.Equal((403, "UnrecognizedClientException"), (unknownKey.Status, unknownKey.ErrorCode));

        // The body is changed after signing: the family registered would not be the one signed for.
        var tampered = await Send(plane.Credentials, tamper: request => request.Content = new StringContent(register.Replace("refused", "hijacked", StringComparison.Ordinal), Encoding.UTF8, "application/x-amz-json-1.1"));
        Assert.Equal((403, "InvalidSignatureException"), (tampered.Status, tampered.ErrorCode));

        // The operation is changed after signing: X-Amz-Target is a signed header.
        var otherOperation = await Send(plane.Credentials, tamper: request =>
        {
            request.Headers.Remove("X-Amz-Target");
            request.Headers.TryAddWithoutValidation("X-Amz-Target", LocalEcsPlane.EcsTargetPrefix + "DeleteService");
        });
        Assert.Equal((403, "InvalidSignatureException"), (otherOperation.Status, otherOperation.ErrorCode));

        var otherRegion = await Send(plane.Credentials, signedRegion: "us-east-1");
        Assert.Equal((403, "InvalidSignatureException"), (otherRegion.Status, otherRegion.ErrorCode));
        Assert.Contains("region", otherRegion.Body["message"]!.GetValue<string>());

        var otherService = await Send(plane.Credentials, service: "logs");
        Assert.Equal((403, "InvalidSignatureException"), (otherService.Status, otherService.ErrorCode));
        Assert.Contains("'ecs'", otherService.Body["message"]!.GetValue<string>());

        var stale = await Send(plane.Credentials, at: DateTimeOffset.UtcNow.AddMinutes(-10));
        Assert.Equal((403, "InvalidSignatureException"), (stale.Status, stale.ErrorCode));
        Assert.StartsWith("Signature expired", stale.Body["message"]!.GetValue<string>());

        var unsigned = await Send(plane.Credentials, tamper: request => request.Headers.Remove("Authorization"));
        Assert.Equal((403, "MissingAuthenticationTokenException"), (unsigned.Status, unsigned.ErrorCode));

        foreach (var family in new[] { "refused", "hijacked" })
        {
            var describe = await plane.CallAsync("DescribeTaskDefinition", new JsonObject { ["taskDefinition"] = family });
            Assert.Equal((400, "ClientException"), (describe.Status, describe.ErrorCode));
        }

        var describedFields = await plane.CallAsync("RegisterTaskDefinition", new JsonObject
        {
            ["family"] = "copied",
            ["taskDefinitionArn"] = "arn:aws:ecs:eu-west-1:123456789012:task-definition/copied:1",
            ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1" }),
        });
        Assert.Equal((400, "ClientException"), (describedFields.Status, describedFields.ErrorCode));
        Assert.StartsWith("Unknown parameter in input: \"taskDefinitionArn\"", describedFields.Body["message"]!.GetValue<string>());

        var signedRight = await Send(plane.Credentials);
        Assert.Equal(200, signedRight.Status);
        Assert.Equal("arn:aws:ecs:eu-west-1:123456789012:task-definition/refused:1", signedRight.Body["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>());
    }

    [RegistryFact]
    public async Task A_new_revision_rolls_out_behind_the_load_balancer_without_a_failed_request_and_completes()
    {
        await using var scenario = await LocalEcsScenario.StartAsync(new LocalEcsOptions { DeregistrationDelay = TimeSpan.FromSeconds(1) });
        var v1 = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("1.0.0"));
        await scenario.CreateServiceAsync(v1, desiredCount: 2);
        var created = await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1), "v1 COMPLETED");
        Assert.Equal(2, created["runningCount"]!.GetValue<int>());
        using var client = new HttpClient();
        Assert.Contains("\"1.0.0\"", await client.GetStringAsync(new Uri(scenario.Plane.LoadBalancerUrl, "version")));

        var v2 = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("2.0.0"));
        Assert.EndsWith(":2", v2);
        using var load = new CancellationTokenSource();
        var answers = Task.Run(async () =>
        {
            var seen = new List<string>();
            while (!load.IsCancellationRequested)
            {
                using var response = await client.GetAsync(new Uri(scenario.Plane.LoadBalancerUrl, "version"));
                seen.Add(response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : $"HTTP {(int)response.StatusCode}");
            }

            return seen;
        });
        var update = (await scenario.Plane.CallAsync("UpdateService", new JsonObject
        {
            ["cluster"] = LocalEcsScenario.Cluster,
            ["service"] = LocalEcsScenario.Service,
            ["taskDefinition"] = v2,
        })).Ok();
        var deployments = update["service"]!["deployments"]!.AsArray();
        Assert.Equal(["PRIMARY", "ACTIVE"], deployments.Select(d => d!["status"]!.GetValue<string>()));
        Assert.Equal("IN_PROGRESS", deployments[0]!["rolloutState"]!.GetValue<string>());

        var done = await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v2), "v2 COMPLETED");
        await load.CancelAsync();
        var seen = await answers;
        Assert.DoesNotContain(seen, a => a.StartsWith("HTTP", StringComparison.Ordinal));
        Assert.Contains(seen, a => a.Contains("\"1.0.0\"", StringComparison.Ordinal));
        Assert.Equal("{\"version\":\"2.0.0\"}", await client.GetStringAsync(new Uri(scenario.Plane.LoadBalancerUrl, "version")));

        var messages = done["events"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
        Assert.Equal("(service api) has reached a steady state.", messages[0]);
        Assert.Contains(messages, m => m.StartsWith("(service api) has started 2 tasks: (task ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("(service api) registered 1 targets in (target-group arn:aws:elasticloadbalancing:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m == "(service api) has begun draining connections on 1 tasks.");
        Assert.Equal(2, done["runningCount"]!.GetValue<int>());
        Assert.Equal(0, done["deployments"]![0]!["failedTasks"]!.GetValue<int>());

        var stopped = (await scenario.Plane.CallAsync("ListTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["serviceName"] = "api", ["desiredStatus"] = "STOPPED" })).Ok()["taskArns"]!.AsArray();
        Assert.Equal(2, stopped.Count);
        var old = (await scenario.Plane.CallAsync("DescribeTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["tasks"] = stopped.DeepClone() })).Ok()["tasks"]!.AsArray();
        Assert.All(old, t =>
        {
            Assert.Equal(v1, t!["taskDefinitionArn"]!.GetValue<string>());
            Assert.Equal("STOPPED", t["lastStatus"]!.GetValue<string>());
            Assert.Equal("ServiceSchedulerInitiated", t["stopCode"]!.GetValue<string>());
        });

        using var docker = new DockerClient();
        var containers = await docker.Containers.ListAsync([$"{LocalEcsPlane.Label}={scenario.Plane.Name}"]);
        Assert.Equal(3, containers.Count(c => c.State == "running"));
    }

    [RegistryFact]
    public async Task A_release_that_never_gets_healthy_trips_the_circuit_breaker_at_3_failed_tasks_and_rolls_back()
    {
        await using var scenario = await LocalEcsScenario.StartAsync();
        var v1 = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("1.0.0"));
        await scenario.CreateServiceAsync(v1, desiredCount: 1);
        await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1), "v1 COMPLETED");
        var broken = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("2.0.0-sick", healthy: false));

        (await scenario.Plane.CallAsync("UpdateService", new JsonObject
        {
            ["cluster"] = LocalEcsScenario.Cluster,
            ["service"] = LocalEcsScenario.Service,
            ["taskDefinition"] = broken,
        })).Ok();
        var failed = await scenario.WaitForServiceAsync(
            s => s["deployments"]!.AsArray().Any(d => d!["taskDefinition"]!.GetValue<string>() == broken && d["rolloutState"]!.GetValue<string>() == "FAILED"),
            "the sick release FAILED");
        var sick = failed["deployments"]!.AsArray().Single(d => d!["taskDefinition"]!.GetValue<string>() == broken)!;
        Assert.Equal(3, sick["failedTasks"]!.GetValue<int>());
        Assert.Equal("ACTIVE", sick["status"]!.GetValue<string>());
        Assert.Equal("ECS deployment circuit breaker: tasks failed to start.", sick["rolloutStateReason"]!.GetValue<string>());
        Assert.Equal(v1, failed["taskDefinition"]!.GetValue<string>());
        var primary = failed["deployments"]![0]!;
        Assert.Equal((v1, "PRIMARY"), (primary["taskDefinition"]!.GetValue<string>(), primary["status"]!.GetValue<string>()));
        Assert.StartsWith("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/", primary["rolloutStateReason"]!.GetValue<string>());
        using var client = new HttpClient();
        Assert.Contains("\"1.0.0\"", await client.GetStringAsync(new Uri(scenario.Plane.LoadBalancerUrl, "version")));

        var back = await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1), "the rollback COMPLETED");
        var messages = back["events"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
        Assert.Contains(messages, m => m.StartsWith("(service api) (deployment ecs-svc/", StringComparison.Ordinal) && m.EndsWith(") deployment failed: tasks failed to start.", StringComparison.Ordinal));
        Assert.Equal(3, messages.Count(m => m.EndsWith("failed container health checks.", StringComparison.Ordinal)));
        var stopped = (await scenario.Plane.CallAsync("ListTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["serviceName"] = "api", ["desiredStatus"] = "STOPPED" })).Ok()["taskArns"]!.AsArray();
        var sickTasks = (await scenario.Plane.CallAsync("DescribeTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["tasks"] = stopped.DeepClone() })).Ok()["tasks"]!.AsArray()
            .Where(t => t!["taskDefinitionArn"]!.GetValue<string>() == broken).ToList();
        Assert.Equal(3, sickTasks.Count);
        Assert.All(sickTasks, t => Assert.Equal("Task failed container health checks", t!["stoppedReason"]!.GetValue<string>()));
        Assert.Contains("\"1.0.0\"", await client.GetStringAsync(new Uri(scenario.Plane.LoadBalancerUrl, "version")));
    }

    [RegistryFact]
    public async Task A_task_stopped_by_hand_is_drained_and_replaced_scaling_and_forced_deployments_settle_and_errors_carry_aws_codes()
    {
        await using var scenario = await LocalEcsScenario.StartAsync();
        var plane = scenario.Plane;
        var v1 = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("1.0.0"));
        await scenario.CreateServiceAsync(v1, desiredCount: 1);
        await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1), "v1 COMPLETED");
        var first = (await plane.CallAsync("ListTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["serviceName"] = "api" })).Ok()["taskArns"]![0]!.GetValue<string>();

        var stop = (await plane.CallAsync("StopTask", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["task"] = first, ["reason"] = "stopped by the release manager" })).Ok();
        Assert.Equal("STOPPED", stop["task"]!["desiredStatus"]!.GetValue<string>());
        await scenario.WaitForServiceAsync(s => s["events"]!.AsArray().Count(e => e!["message"]!.GetValue<string>().StartsWith("(service api) registered 1 targets", StringComparison.Ordinal)) == 2
            && s["runningCount"]!.GetValue<int>() == 1, "a replacement registered");
        var stopped = (await plane.CallAsync("DescribeTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["tasks"] = new JsonArray(first) })).Ok()["tasks"]![0]!;
        Assert.Equal(("UserInitiated", "stopped by the release manager"), (stopped["stopCode"]!.GetValue<string>(), stopped["stoppedReason"]!.GetValue<string>()));
        var running = (await plane.CallAsync("ListTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["serviceName"] = "api" })).Ok()["taskArns"]!.AsArray();
        Assert.DoesNotContain(first, running.Select(t => t!.GetValue<string>()));

        (await plane.CallAsync("UpdateService", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["service"] = "api", ["desiredCount"] = 2 })).Ok();
        await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1) && s["runningCount"]!.GetValue<int>() == 2, "two tasks running");
        var before = (await scenario.DescribeServiceAsync())["deployments"]![0]!["id"]!.GetValue<string>();
        (await plane.CallAsync("UpdateService", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["service"] = "api", ["forceNewDeployment"] = true })).Ok();
        var forced = await scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, v1) && s["deployments"]![0]!["id"]!.GetValue<string>() != before, "the forced deployment COMPLETED");
        Assert.Equal(2, forced["runningCount"]!.GetValue<int>());
        using var client = new HttpClient();
        Assert.Contains("\"1.0.0\"", await client.GetStringAsync(new Uri(plane.LoadBalancerUrl, "version")));

        var noService = await plane.CallAsync("UpdateService", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["service"] = "nope", ["desiredCount"] = 1 });
        Assert.Equal((400, "ServiceNotFoundException"), (noService.Status, noService.ErrorCode));
        var noCluster = await plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = "nope", ["services"] = new JsonArray("api") });
        Assert.Equal((400, "ClusterNotFoundException"), (noCluster.Status, noCluster.ErrorCode));
        var missing = (await plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["services"] = new JsonArray("nope") })).Ok();
        Assert.Equal("MISSING", missing["failures"]![0]!["reason"]!.GetValue<string>());
        var noRevision = await plane.CallAsync("UpdateService", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["service"] = "api", ["taskDefinition"] = "slipway-api:99" });
        Assert.Equal((400, "ClientException"), (noRevision.Status, noRevision.ErrorCode));
        plane.ThrottleNext(1);
        var throttled = await plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["services"] = new JsonArray("api") });
        Assert.Equal((400, "ThrottlingException", "Rate exceeded"), (throttled.Status, throttled.ErrorCode, throttled.Body["message"]!.GetValue<string>()));
        Assert.Equal(200, (await plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["services"] = new JsonArray("api") })).Status);
    }

    [RegistryFact]
    public async Task A_task_pulled_with_the_wrong_registry_password_or_naming_an_unknown_secret_fails_to_start()
    {
        await using var images = new LocalEcsImages("ecs" + Guid.NewGuid().ToString("N")[..8]);
        var image = await images.PushAppAsync("1.0.0");
        await using var plane = await LocalEcsPlane.StartAsync(new LocalEcsOptions { RegistryCredentials = images.Auth with { Password = "not-the-password" } });
        (await plane.CallAsync("CreateCluster", new JsonObject { ["clusterName"] = "c" })).Ok();
        var network = new JsonObject { ["awsvpcConfiguration"] = new JsonObject { ["subnets"] = new JsonArray(plane.Options.Subnets[0]) } };

        async Task<JsonNode> RunToTheEndAsync(JsonObject container)
        {
            var family = (await plane.CallAsync("RegisterTaskDefinition", new JsonObject { ["family"] = "f", ["networkMode"] = "awsvpc", ["containerDefinitions"] = new JsonArray(container) })).Ok();
            var arn = (await plane.CallAsync("RunTask", new JsonObject
            {
                ["cluster"] = "c",
                ["taskDefinition"] = family["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>(),
                ["networkConfiguration"] = network.DeepClone(),
            })).Ok()["tasks"]![0]!["taskArn"]!.GetValue<string>();
            var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
            while (true)
            {
                var task = (await plane.CallAsync("DescribeTasks", new JsonObject { ["cluster"] = "c", ["tasks"] = new JsonArray(arn) })).Ok()["tasks"]![0]!;
                if (task["lastStatus"]!.GetValue<string>() == "STOPPED" || DateTimeOffset.UtcNow > deadline)
                    return task;
                await Task.Delay(250);
            }
        }

        var unpulled = await RunToTheEndAsync(new JsonObject { ["name"] = "app", ["image"] = image });
        Assert.Equal(("STOPPED", "TaskFailedToStart"), (unpulled["lastStatus"]!.GetValue<string>(), unpulled["stopCode"]!.GetValue<string>()));
        Assert.StartsWith("CannotPullContainerError", unpulled["stoppedReason"]!.GetValue<string>());
        Assert.DoesNotContain("not-the-password", unpulled.ToJsonString());

        var unknownSecret = plane.PutSecret("known", "value").Replace("known", "unknown", StringComparison.Ordinal);
        var secretless = await RunToTheEndAsync(new JsonObject
        {
            ["name"] = "app",
            ["image"] = image,
            ["secrets"] = new JsonArray(new JsonObject { ["name"] = "TOKEN", ["valueFrom"] = unknownSecret }),
        });
        Assert.Equal("TaskFailedToStart", secretless["stopCode"]!.GetValue<string>());
        Assert.StartsWith("ResourceInitializationError: unable to pull secrets", secretless["stoppedReason"]!.GetValue<string>());
    }

    [RegistryFact]
    public async Task A_one_off_task_reports_its_exit_code_and_its_output_is_its_awslogs_stream_and_dispose_leaves_nothing()
    {
        var scenario = await LocalEcsScenario.StartAsync();
        string planeName;
        await using (scenario)
        {
            planeName = scenario.Plane.Name;
            var definition = await scenario.RegisterAsync(await scenario.Images.PushAppAsync("1.0.0"));
            var run = new JsonObject
            {
                ["cluster"] = LocalEcsScenario.Cluster,
                ["taskDefinition"] = definition,
                ["launchType"] = "FARGATE",
                ["startedBy"] = "slipway-migrate",
                ["overrides"] = new JsonObject
                {
                    ["containerOverrides"] = new JsonArray(new JsonObject
                    {
                        ["name"] = LocalEcsScenario.Container,
                        ["command"] = new JsonArray("sh", "-c", "echo \"migrating with $DATABASE_PASSWORD\"; echo 'relation users already exists' >&2; exit 3"),
                    }),
                },
            };
            var missingNetwork = await scenario.Plane.CallAsync("RunTask", run);
            Assert.Equal((400, "InvalidParameterException"), (missingNetwork.Status, missingNetwork.ErrorCode));
            var unknownSubnet = (JsonObject)run.DeepClone();
            unknownSubnet["networkConfiguration"] = new JsonObject { ["awsvpcConfiguration"] = new JsonObject { ["subnets"] = new JsonArray("subnet-elsewhere") } };
            Assert.Equal("InvalidParameterException", (await scenario.Plane.CallAsync("RunTask", unknownSubnet)).ErrorCode);

            run["networkConfiguration"] = scenario.NetworkConfiguration;
            var started = (await scenario.Plane.CallAsync("RunTask", run)).Ok()["tasks"]![0]!;
            var taskArn = started["taskArn"]!.GetValue<string>();
            var taskId = taskArn[(taskArn.LastIndexOf('/') + 1)..];
            Assert.Matches("^arn:aws:ecs:eu-west-1:123456789012:task/slipway/[0-9a-f]{32}$", taskArn);

            JsonNode task;
            var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
            do
            {
                await Task.Delay(250);
                task = (await scenario.Plane.CallAsync("DescribeTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["tasks"] = new JsonArray(taskArn) })).Ok()["tasks"]![0]!;
            }
            while (task["lastStatus"]!.GetValue<string>() != "STOPPED" && DateTimeOffset.UtcNow < deadline);
            Assert.Equal("STOPPED", task["lastStatus"]!.GetValue<string>());
            Assert.Equal(3, task["containers"]![0]!["exitCode"]!.GetValue<int>());
            Assert.Equal("EssentialContainerExited", task["stopCode"]!.GetValue<string>());
            Assert.Equal("Essential container in task exited", task["stoppedReason"]!.GetValue<string>());

            var logs = (await scenario.Plane.LogsCallAsync("GetLogEvents", new JsonObject
            {
                ["logGroupName"] = LocalEcsScenario.LogGroup,
                ["logStreamName"] = $"{LocalEcsScenario.StreamPrefix}/{LocalEcsScenario.Container}/{taskId}",
                ["startFromHead"] = true,
            })).Ok();
            var lines = logs["events"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
            Assert.Equal([$"migrating with {LocalEcsScenario.DatabasePassword}", "relation users already exists"], lines);
            Assert.StartsWith("f/", logs["nextForwardToken"]!.GetValue<string>());

            var elsewhere = await scenario.Plane.LogsCallAsync("GetLogEvents", new JsonObject { ["logGroupName"] = LocalEcsScenario.LogGroup, ["logStreamName"] = $"ecs/api/{Guid.NewGuid():N}" });
            Assert.Equal((400, "ResourceNotFoundException"), (elsewhere.Status, elsewhere.ErrorCode));
        }

        using var docker = new DockerClient();
        Assert.Empty(await docker.Containers.ListAsync([$"{LocalEcsPlane.Label}={planeName}"]));
        Assert.Null(await docker.Networks.TryInspectAsync(planeName + "-vpc"));
    }
}
