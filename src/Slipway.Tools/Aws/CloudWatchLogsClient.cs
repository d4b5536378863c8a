using Amazon.Runtime;

namespace Slipway.Tools.Aws;

public sealed record GetLogEventsRequest(string LogGroupName, string LogStreamName, int Limit, bool StartFromHead);

public sealed record OutputLogEvent(long Timestamp, string Message);

public sealed record GetLogEventsResponse(IReadOnlyList<OutputLogEvent>? Events);

/// <summary>
/// CloudWatch Logs' GetLogEvents over JSON 1.1 (X-Amz-Target: Logs_20140328.GetLogEvents, service "logs"): the last lines
/// of a task's awslogs stream, named &lt;awslogs-stream-prefix&gt;/&lt;container name&gt;/&lt;task id&gt;.
/// </summary>
public sealed class CloudWatchLogsClient(HttpClient http, ImmutableCredentials credentials, string region, Uri? endpoint = null, AwsCallPolicy? policy = null)
{
    private readonly AwsJsonClient aws = new(http, credentials, region, "logs", "Logs_20140328", endpoint ?? AwsJsonClient.EndpointFor("CLOUDWATCH_LOGS", "logs", region), policy);

    public static string StreamName(string prefix, string container, string taskId) => $"{prefix}/{container}/{taskId}";

    /// <summary>The newest <paramref name="limit"/> lines of the stream, oldest first; a message saying why when they cannot be read.</summary>
    public async Task<IReadOnlyList<string>> LastLinesAsync(string group, string stream, int limit, CancellationToken ct)
    {
        try
        {
            var response = await aws.CallAsync<GetLogEventsRequest, GetLogEventsResponse>("GetLogEvents", new(group, stream, limit, false), ct).ConfigureAwait(false);
            return (response.Events ?? []).Select(e => e.Message.TrimEnd()).ToList();
        }
        catch (AwsServiceException e)
        {
            var why = e.Code == "AccessDeniedException" ? "the deploy role needs the IAM permission logs:GetLogEvents" : e.Message;
            return [$"(no log lines from {group}/{stream}: {why})"];
        }
    }
}
