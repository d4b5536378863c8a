using Slipway.Delivery.Database;
using Slipway.Engine;

partial class Build
{
    [Parameter("PostgreSQL to migrate, postgres://user:pass@host:port/db"), Secret]
    readonly string? DatabaseUrl;

    [Parameter("Migrate up or down to this version (0 reverts everything); default: the latest")]
    readonly long? MigrateTo;

    [Parameter("Extensions the database must offer before migrating (e.g. vector)")]
    readonly string[] RequiredExtensions = [];

    [Parameter("Print what would change (pending migrations) and change nothing")]
    readonly bool DryRun;

    AbsolutePath MigrationsDirectory => RootDirectory / "src" / "Api" / "Migrations";

    Target Migrate => _ => _
        .Description("Applies pending database migrations for the environment (or reverts to --migrate-to)")
        .Requires(() => DatabaseUrl)
        .Executes(async ct =>
        {
            var options = MigrationOptions.Default with { RequiredExtensions = RequiredExtensions };
            var plan = await Run(() => Migrator.PlanAsync(DatabaseUrl!, MigrationsDirectory, MigrateTo, options, ct));
            foreach (var line in plan.Describe())
                Log.Info(line);
            if (DryRun)
            {
                ReportSummary($"dry run: {plan.Steps.Count} pending");
                return;
            }

            var result = await Run(() => Migrator.ApplyAsync(plan, Log.Info, ct));
            ReportSummary(result.Applied.Count + result.Reverted.Count == 0
                ? $"up to date at version {result.FinalVersion}"
                : $"version {result.FromVersion} → {result.FinalVersion}: " +
                  string.Join(", ", result.Applied.Select(m => m.Id).Concat(result.Reverted.Select(m => $"{m.Id} reverted"))));
        });

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
