using System.Globalization;
using Slipway.Delivery.Database;
using Slipway.Delivery.Environments;
using Slipway.Engine;

partial class Build
{
    [Parameter("PostgreSQL to migrate, postgres://user:pass@host:port/db (local: the stack's own database)"), Secret]
    readonly string? DatabaseUrl;

    [Parameter("Migrate up or down to this version (0 reverts everything); default: the latest")]
    readonly long? MigrateTo;

    [Parameter("Extensions the database must offer before migrating (e.g. vector)")]
    readonly string[] RequiredExtensions = [];

    AbsolutePath MigrationsDirectory => RootDirectory / "src" / "Api" / "Migrations";

    /// <summary>
    /// The local environment's database runs in its own stack and exists only once Deploy brought the stack up:
    /// without an explicit --database-url, Deploy migrates it at that point, before it touches the app.
    /// </summary>
    bool MigratesInDeploy =>
        DatabaseUrl is null && TargetEnvironment == EnvironmentName.Local && ScheduledTargets.Any(t => t.Name == nameof(Deploy));

    Target Migrate => _ => _
        .Description("Applies pending database migrations for the environment (or reverts to --migrate-to)")
        .Writes(DryRunBehavior.PrintPlan)
        .Executes(async ct =>
        {
            if (MigratesInDeploy)
            {
                Log.Info("the local database runs in the stack: Deploy migrates it once it is up, before the app changes");
                ReportSummary("deferred to Deploy (stack database)");
                return;
            }

            if (DatabaseUrl is null)
                throw new UsageException("Migrate requires --database-url (or $DATABASE_URL); the local stack's database is migrated by ./build.sh Deploy");
            var result = await MigrateAsync(DatabaseUrl, Log.Info, ct);
            if (result is not null)
                MigratedToVersion = result.FinalVersion;
        });

    /// <summary>Plans, prints the plan, and applies it unless --dry-run; null when it only printed.</summary>
    async Task<MigrationResult?> MigrateAsync(string databaseUrl, Action<string> log, CancellationToken ct)
    {
        var options = MigrationOptions.Default with { RequiredExtensions = RequiredExtensions };
        var plan = await Run(() => Migrator.PlanAsync(databaseUrl, MigrationsDirectory, MigrateTo, options, ct));
        foreach (var line in plan.Describe())
            log(line);
        if (IsDryRun)
        {
            ReportSummary($"dry run: {plan.Steps.Count} pending");
            return null;
        }

        var result = await Run(() => Migrator.ApplyAsync(plan, log, ct));
        ReportSummary(result.Applied.Count + result.Reverted.Count == 0
            ? $"up to date at version {result.FinalVersion}"
            : $"version {result.FromVersion} → {result.FinalVersion}: " +
              string.Join(", ", result.Applied.Select(m => m.Id).Concat(result.Reverted.Select(m => $"{m.Id} reverted"))));
        return result;
    }

    /// <summary>Deploy's migration step for the local stack: its database, published on loopback only.</summary>
    async Task<string?> MigrateStackDatabaseAsync(IReadOnlyDictionary<string, string> variables, Action<string> log, CancellationToken ct)
    {
        var compose = DeliveryEnvironment.Compose.Variables;
        string Variable(string name, string fallback) =>
            variables.GetValueOrDefault(name) ?? compose.GetValueOrDefault(name) ?? fallback;
        var url = $"postgres://{Variable("POSTGRES_USER", "slipway")}:{Uri.EscapeDataString(Variable("POSTGRES_PASSWORD", ""))}" +
                  $"@127.0.0.1:{Variable("LOCAL_POSTGRES_PORT", "55433")}/{Variable("POSTGRES_DB", "slipway")}";
        var result = await MigrateAsync(url, log, ct);
        return result?.FinalVersion.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A migrator error is the whole story: one line, no stack trace.</summary>
    static async Task<T> Run<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is MigrationException or DatabaseUrlException)
        {
            throw new BuildFailedException(e.Message, e);
        }
    }
}
