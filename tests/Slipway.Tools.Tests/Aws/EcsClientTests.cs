using System.Text.Json.Nodes;
using Amazon.Runtime;
using Slipway.Tools.Aws;

namespace Slipway.Tools.Tests.Aws;

// Error mapping, retries and the task definition copy, against a LoopbackHttpServer replaying the responses and error
// bodies the ECS and CloudWatch Logs API references document (AWS cannot be reached from here). The deploy itself is
// proved against the local ECS control plane that runs real containers (tests/Slipway.Delivery.Tests/Ecs).
public sealed class EcsClientTests : IDisposable
{
    private const string Region = "eu-west-1";
    private static readonly ImmutableCredentials Credentials = new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null);
    private static readonly AwsCallPolicy Quick = new(TimeSpan.FromSeconds(5), 3, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));
    private static readonly EcsSettingsSource Source = new(".nuke/environments/ecs.json");

    private readonly HttpClient http = new();
    private readonly Queue<Reply> replies = new();
    private readonly LoopbackHttpServer server;

    public EcsClientTests() => server = new LoopbackHttpServer(_ => replies.Count > 0 ? replies.Dequeue() : Error(500, "ServerException", "nothing queued"));

    private EcsClient Client(AwsCallPolicy? policy = null) => new(http, Credentials, Region, Source, server.Url, policy ?? Quick);

    private static Reply Ok(string json) => new(200, "application/x-amz-json-1.1", json);

    private static Reply Error(int status, string type, string message) =>
        new(status, "application/x-amz-json-1.1", new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString());

    private const string Service = """
        {"services":[{"serviceArn":"arn:aws:ecs:eu-west-1:123456789012:service/slipway/api","serviceName":"api","status":"ACTIVE",
          "desiredCount":2,"runningCount":2,"taskDefinition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-api:7",
          "deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true},"maximumPercent":200,"minimumHealthyPercent":100},
          "deployments":[{"id":"ecs-svc/1","status":"PRIMARY","taskDefinition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-api:7",
            "desiredCount":2,"runningCount":2,"failedTasks":0,"rolloutState":"COMPLETED","rolloutStateReason":"ECS deployment ecs-svc/1 completed.","createdAt":1733000000.123}],
          "events":[{"id":"e1","createdAt":1733000100.5,"message":"(service api) has reached a steady state."}]}],"failures":[]}
        """;

    [Fact]
    public async Task Describe_service_reads_the_documented_shape_and_signs_for_ecs()
    {
        replies.Enqueue(Ok(Service));

        var service = await Client().DescribeServiceAsync("slipway", "api", CancellationToken.None);

        Assert.Equal(("COMPLETED", 2, "ecs-svc/1"), (service.Primary!.RolloutState, service.Primary.RunningCount, service.Primary.Id));
        Assert.Equal(new EcsCircuitBreaker(true, true), service.DeploymentConfiguration!.DeploymentCircuitBreaker);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1733000100500), Assert.Single(service.Events).CreatedAt);
        var request = Assert.Single(server.Requests);
        Assert.Equal("AmazonEC2ContainerServiceV20141113.DescribeServices", request.Header("X-Amz-Target"));
        Assert.Equal("application/x-amz-json-1.1", request.Header("Content-Type"));
        Assert.Contains($"/{Region}/ecs/aws4_request", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.Equal("""{"cluster":"slipway","services":["api"]}""", request.Text);
    }

    [Fact]
    public async Task Throttling_is_retried_with_backoff_then_succeeds()
    {
        replies.Enqueue(Error(400, "ThrottlingException", "Rate exceeded"));
        replies.Enqueue(Error(400, "ThrottlingException", "Rate exceeded"));
        replies.Enqueue(Ok(Service));

        var service = await Client().DescribeServiceAsync("slipway", "api", CancellationToken.None);

        Assert.Equal("api", service.ServiceName);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Throttling_that_never_ends_gives_up_after_the_bounded_retries_in_one_line()
    {
        for (var i = 0; i < 10; i++)
            replies.Enqueue(Error(400, "ThrottlingException", "Rate exceeded"));

        var error = await Assert.ThrowsAsync<EcsException>(() => Client().DescribeServiceAsync("slipway", "api", CancellationToken.None));

        Assert.Equal(1 + Quick.Retries, server.Requests.Count);
        Assert.Equal("ECS kept throttling DescribeServices after 3 retries with backoff: try again later (Rate exceeded)", error.Message);
    }

    [Fact]
    public async Task Access_denied_names_the_action_and_the_permission()
    {
        replies.Enqueue(Error(400, "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/deploy/gh is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:eu-west-1:123456789012:service/slipway/api"));

        var error = await Assert.ThrowsAsync<EcsException>(() =>
            Client().UpdateServiceAsync(new UpdateServiceRequest("slipway", "api", "slipway-api:8", new EcsDeploymentConfiguration()), CancellationToken.None));

        Assert.StartsWith("AWS denied ecs:UpdateService on cluster slipway: the deploy role needs the IAM permission ecs:UpdateService", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_missing_service_or_cluster_names_it_and_the_setting_to_fix()
    {
        replies.Enqueue(Ok("""{"services":[],"failures":[{"arn":"arn:aws:ecs:eu-west-1:123456789012:service/slipway/apx","reason":"MISSING"}]}"""));
        replies.Enqueue(Error(400, "ClusterNotFoundException", "Cluster not found."));
        replies.Enqueue(Error(400, "ServiceNotFoundException", "Service not found."));

        var service = await Assert.ThrowsAsync<EcsException>(() => Client().DescribeServiceAsync("slipway", "apx", CancellationToken.None));
        var cluster = await Assert.ThrowsAsync<EcsException>(() => Client().DescribeServiceAsync("slipwya", "api", CancellationToken.None));
        var update = await Assert.ThrowsAsync<EcsException>(() =>
            Client().UpdateServiceAsync(new UpdateServiceRequest("slipway", "apx", "slipway-api:8", new EcsDeploymentConfiguration()), CancellationToken.None));

        Assert.Equal("ECS service 'apx' is not in cluster 'slipway' (eu-west-1, MISSING): set ecs.service in .nuke/environments/ecs.json to the service terraform made (terraform output ecs_service_name)", service.Message);
        Assert.Equal("ECS cluster 'slipwya' not found in eu-west-1: set ecs.cluster in .nuke/environments/ecs.json to the cluster terraform made (terraform output ecs_cluster_name)", cluster.Message);
        Assert.Equal("ServiceNotFoundException", update.Code);
        Assert.Contains("'apx'", update.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_copied_task_definition_keeps_every_field_register_takes_and_drops_the_read_only_ones()
    {
        replies.Enqueue(Ok("""
            {"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-api:7","family":"slipway-api","revision":7,
              "status":"ACTIVE","networkMode":"awsvpc","cpu":"512","memory":"1024","executionRoleArn":"arn:aws:iam::123456789012:role/exec",
              "requiresCompatibilities":["FARGATE"],"compatibilities":["EC2","FARGATE"],"requiresAttributes":[{"name":"ecs.capability.secrets.asm.environment-variables"}],
              "registeredAt":1733000000.0,"registeredBy":"arn:aws:sts::123456789012:assumed-role/deploy/gh",
              "containerDefinitions":[{"name":"api","image":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api@sha256:aaa","essential":true,
                "portMappings":[{"containerPort":8080,"protocol":"tcp"}],
                "healthCheck":{"command":["CMD","/app/healthcheck"],"interval":10,"timeout":5,"retries":3,"startPeriod":20},
                "secrets":[{"name":"DATABASE_URL","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db-AbCdEf"}],
                "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/slipway/api","awslogs-region":"eu-west-1","awslogs-stream-prefix":"api"}}}]},
             "tags":[{"key":"team","value":"payments"}]}
            """));
        replies.Enqueue(Ok("""{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-api:8","family":"slipway-api","revision":8,"containerDefinitions":[]}}"""));
        var client = Client();

        var live = await client.DescribeTaskDefinitionAsync("slipway-api:7", CancellationToken.None);
        var container = live.TaskDefinition.ContainerDefinitions[0] with { Image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api@sha256:bbb" };
        var registered = await client.RegisterTaskDefinitionAsync(live.TaskDefinition with { ContainerDefinitions = [container] }, live.Tags, CancellationToken.None);

        Assert.Equal(8, registered.Revision);
        Assert.Equal("AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition", server.Requests[1].Header("X-Amz-Target"));
        var sent = JsonNode.Parse(server.Requests[1].Text)!.AsObject();
        Assert.Equal(
            ["containerDefinitions", "cpu", "executionRoleArn", "family", "memory", "networkMode", "requiresCompatibilities", "tags"],
            sent.Select(p => p.Key).Order(StringComparer.Ordinal));
        var sentContainer = sent["containerDefinitions"]![0]!;
        Assert.Equal("123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api@sha256:bbb", sentContainer["image"]!.GetValue<string>());
        Assert.Equal("arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db-AbCdEf", sentContainer["secrets"]![0]!["valueFrom"]!.GetValue<string>());
        Assert.Equal(20, sentContainer["healthCheck"]!["startPeriod"]!.GetValue<int>());
        Assert.Equal(8080, sentContainer["portMappings"]![0]!["containerPort"]!.GetValue<int>());
        Assert.True(sentContainer["essential"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Get_log_events_reads_the_task_stream_and_says_why_when_it_cannot()
    {
        replies.Enqueue(Ok("""{"events":[{"timestamp":1733000000000,"message":"migrating 0003\n","ingestionTime":1733000000100},{"timestamp":1733000000500,"message":"relation \"x\" does not exist"}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}"""));
        replies.Enqueue(Error(400, "ResourceNotFoundException", "The specified log stream does not exist."));
        var logs = new CloudWatchLogsClient(http, Credentials, Region, server.Url, Quick);

        var lines = await logs.LastLinesAsync("/slipway/api", CloudWatchLogsClient.StreamName("api", "api", "0f1e2d"), 20, CancellationToken.None);
        var missing = await logs.LastLinesAsync("/slipway/api", "api/api/gone", 20, CancellationToken.None);

        Assert.Equal(["migrating 0003", "relation \"x\" does not exist"], lines);
        Assert.Equal("Logs_20140328.GetLogEvents", server.Requests[0].Header("X-Amz-Target"));
        Assert.Contains($"/{Region}/logs/aws4_request", server.Requests[0].Header("Authorization"), StringComparison.Ordinal);
        Assert.Equal("""{"logGroupName":"/slipway/api","logStreamName":"api/api/0f1e2d","limit":20,"startFromHead":false}""", server.Requests[0].Text);
        Assert.Contains("ResourceNotFoundException", Assert.Single(missing), StringComparison.Ordinal);
    }

    [Fact]
    public void The_endpoint_follows_the_sdk_variables()
    {
        Assert.Equal(new Uri("http://127.0.0.1:4566/"), AwsJsonClient.EndpointFor("ECS", "ecs", Region, v => v == "AWS_ENDPOINT_URL_ECS" ? "http://127.0.0.1:4566/" : null));
        Assert.Equal(new Uri("http://127.0.0.1:9/"), AwsJsonClient.EndpointFor("ECS", "ecs", Region, v => v == "AWS_ENDPOINT_URL" ? "http://127.0.0.1:9/" : null));
        Assert.Equal(new Uri("https://logs.eu-west-1.amazonaws.com/"), AwsJsonClient.EndpointFor("CLOUDWATCH_LOGS", "logs", Region, _ => null));
    }

    public void Dispose()
    {
        server.Dispose();
        http.Dispose();
    }
}
