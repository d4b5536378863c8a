using Api;
using Api.Configuration;

ApiSettings settings;
try
{
    settings = ApiSettings.Load(Environment.GetEnvironmentVariable);
}
catch (InvalidSettingsException e)
{
    foreach (var problem in e.Problems)
        await Console.Error.WriteLineAsync($"configuration error: {problem}");
    return 2;
}

await using var app = ApiApplication.Build(settings, args);
await app.RunAsync();
return 0;
