using Slipway.Engine;
using Slipway.Migrations;

partial class Build
{
    [Parameter("PostgreSQL for Migrate to reach from this machine, postgres://user:pass@host:port/db"), Secret]
    readonly string? DatabaseUrl;

    [Parameter("Migrate up or down to this version (0 reverts everything); default: the latest")]
    readonly long? MigrateTo;

    [Parameter("Extensions the database must offer before migrating (e.g. vector)")]
    readonly string[] RequiredExtensions = [];

    AbsolutePath MigrationsDirectory => RootDirectory / "src" / "Api" / "Migrations";

    /// <summary>
    /// Migrates a database this machine can reach. Deploy does not use it: its release phase migrates from a
    /// container of the new app image on the stack's network (<see cref="ReleaseCommand"/>).
    /// </summary>
    Target Migrate => _ => _
        .Description("Applies pending migrations to --database-url from this machine (or reverts to --migrate-to); Deploy migrates in its release phase")
        .Writes(DryRunBehavior.PrintPlan)
        .Executes(async ct =>
        {
            if (DatabaseUrl is null)
                throw new UsageException("Migrate requires --database-url (or $DATABASE_URL); ./build.sh Deploy migrates the environment's database itself, in its release phase");
            await MigrateAsync(DatabaseUrl, Log.Info, ct);
        });

    /// <summary>
    /// The release phase of every deploy: `dotnet Api.dll migrate` in a container from the new API image, on the
    /// stack's network, with the api service's DATABASE_URL.
    /// </summary>
    IReadOnlyList<string> ReleaseCommand =>
    [
        MigrateCommand.Name,
        "--applied-by", MigrationOptions.Default.AppliedBy,
        .. RequiredExtensions.SelectMany(extension => new[] { "--require-extension", extension }),
    ];

    /// <summary>Plans, prints the plan, and applies it unless --dry-run.</summary>
    async Task MigrateAsync(string databaseUrl, Action<string> log, CancellationToken ct)
    {
        var options = MigrationOptions.Default with { RequiredExtensions = RequiredExtensions };
        var plan = await Migrator.PlanAsync(databaseUrl, MigrationsDirectory, MigrateTo, options, ct);
        foreach (var line in plan.Describe())
            log(line);
        if (IsDryRun)
        {
            ReportSummary($"dry run: {plan.Steps.Count} pending");
            return;
        }

        var result = await Migrator.ApplyAsync(plan, log, ct);
        ReportSummary(result.Applied.Count + result.Reverted.Count == 0
            ? $"up to date at version {result.FinalVersion}"
            : $"version {result.FromVersion} → {result.FinalVersion}: " +
              string.Join(", ", result.Applied.Select(m => m.Id).Concat(result.Reverted.Select(m => $"{m.Id} reverted"))));
    }
}
