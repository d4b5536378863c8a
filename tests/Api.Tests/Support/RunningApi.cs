using Api.Configuration;
using Microsoft.AspNetCore.Builder;

namespace Api.Tests.Support;

/// <summary>The real service, in process, on Kestrel at 127.0.0.1 on a port of its choosing.</summary>
public sealed class RunningApi : IAsyncDisposable
{
    private RunningApi(WebApplication app, Uri address)
    {
        App = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    /// <summary>Starts the service with these variables standing in for its environment.</summary>
    public static async Task<RunningApi> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var settings = ApiSettings.Load(name => environment.GetValueOrDefault(name));
        var app = ApiApplication.Build(settings, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        return new RunningApi(app, new Uri(ApiApplication.Addresses(app)[0]));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
