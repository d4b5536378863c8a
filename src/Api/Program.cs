using Api;
using Api.Configuration;
using Slipway.Migrations;

// `dotnet Api.dll migrate`: the deploy's release phase applies the migrations shipped in the image, then exits.
if (args is [MigrateCommand.Name, .. var migrateArguments])
{
    return await MigrateCommand.RunAsync(
        migrateArguments, Environment.GetEnvironmentVariable, Path.Combine(AppContext.BaseDirectory, "Migrations"), Console.Out, Console.Error);
}

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
