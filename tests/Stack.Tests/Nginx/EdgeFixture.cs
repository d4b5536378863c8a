namespace Slipway.Stack.Tests.Nginx;

/// <summary>An upstream standing in for the API, and a real nginx in front of it, shared by one test class.</summary>
public sealed class EdgeFixture : IAsyncLifetime
{
    public const string UpstreamVersion = "1.4.0-edge-test";

    public UpstreamServer Upstream { get; private set; } = null!;

    public NginxUnderTest Nginx { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public Uri Https(string pathAndQuery, string host = "localhost") => new($"https://{host}:{Nginx.HttpsPort}{pathAndQuery}");

    public Uri Http(string pathAndQuery, string host = "localhost") => new($"http://{host}:{Nginx.HttpPort}{pathAndQuery}");

    public async Task InitializeAsync()
    {
        // Without nginx on PATH the [ToolFact] tests skip (or fail under SLIPWAY_REQUIRE_REAL), so do nothing here.
        if (!ToolFactAttribute.OnPath("nginx"))
            return;
        Upstream = await UpstreamServer.StartAsync(UpstreamVersion);
        Nginx = await NginxUnderTest.StartAsync(Upstream.Port);
        Client = EdgeClient.Create(Nginx);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Nginx is not null)
            await Nginx.DisposeAsync();
        if (Upstream is not null)
            await Upstream.DisposeAsync();
    }
}
