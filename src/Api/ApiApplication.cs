using System.Text.Json;
using Api.Configuration;
using Api.Health;
using Api.Observability;
using Api.Redis;
using Api.Testing;
using Api.Users;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Api;

/// <summary>Builds the web application from validated settings; Program.cs and the tests both use it.</summary>
public static class ApiApplication
{
    public const int DefaultPort = 8080;

    /// <summary>How long in-flight requests may run after SIGTERM before the host gives up on them.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    public static WebApplication Build(ApiSettings settings, string[] args)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        ConfigureListening(builder, settings);

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(options =>
        {
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        // RequestTracking writes one line per request carrying our request id; the hosting layer's
        // own scope would carry Kestrel's connection-based id instead, so it is switched off.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        builder.Services.AddProblemDetails();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(settings.DatabaseConnectionString));
        builder.Services.AddSingleton(provider => new RedisConnection(settings.Redis, provider.GetRequiredService<ILogger<RedisConnection>>()));
        builder.Services.AddSingleton<ApiMetrics>();
        builder.Services.AddSingleton<UserRepository>();
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton(provider => new UserCache(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<UserRepository>(),
            provider.GetRequiredService<ApiMetrics>(),
            provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<JsonOptions>>().Value.SerializerOptions,
            provider.GetRequiredService<ILogger<UserCache>>()));

        var app = builder.Build();
        // Connect at start-up (it returns even when Redis is down), so that no request waits for it.
        app.Services.GetRequiredService<RedisConnection>();
        app.UseMiddleware<RequestTracking>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapHealthEndpoints();
        app.MapUserEndpoints();
        app.MapGet("/metrics", (ApiMetrics metrics) => Results.Text(metrics.Render(), ApiMetrics.ContentType));
        if (settings.EnableTestEndpoints)
            app.MapTestEndpoints();
        return app;
    }

    /// <summary>The addresses Kestrel listens on, once started (resolves port 0 to the real port).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.ToList();
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
    }

    /// <summary>--urls or ASPNETCORE_URLS win; otherwise PORT, otherwise 8080, on all interfaces.</summary>
    private static void ConfigureListening(WebApplicationBuilder builder, ApiSettings settings)
    {
        var explicitUrls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 }
            || builder.Configuration[WebHostDefaults.HttpPortsKey] is { Length: > 0 }
            || builder.Configuration[WebHostDefaults.HttpsPortsKey] is { Length: > 0 };
        if (!explicitUrls)
            builder.WebHost.UseUrls($"http://+:{settings.Port ?? DefaultPort}");
    }
}
