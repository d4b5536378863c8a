using System.Globalization;
using Slipway.Migrations;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// A rollback runs an older release on the live schema: it does not migrate down. That is safe when every migration
/// the older release never saw is marked backward-compatible (<see cref="CompatibilityMarker"/>); otherwise the
/// rollback is refused before anything changes, unless --allow-newer-schema.
/// </summary>
internal static class RollbackSchemaCheck
{
    /// <exception cref="DeployFailedException">A migration in between is not marked and <paramref name="allowNewerSchema"/> is false.</exception>
    public static void Check(RollbackChoice choice, MigrationSet migrations, bool allowNewerSchema, Action<string> log)
    {
        var target = choice.Target.Version;
        if (Parse(choice.Current?.MigrationVersion) is not { } live)
            return;
        if (Parse(choice.TargetSchema) is not { } built)
        {
            log($"the ledger has no schema version for {target}: whether it works on the live schema {live} is not checked");
            return;
        }

        if (built >= live)
            return;
        var between = Enumerable.Range((int)built + 1, (int)(live - built))
            .Select(version => (Id: migrations.Find(version)?.Id ?? $"{version:D4} (not in {migrations.Directory})", Marked: migrations.Find(version)?.BackwardCompatible == true))
            .ToList();
        log($"{target} was deployed on schema {built}, the live schema is {live}: it will run on {string.Join(", ", between.Select(m => m.Id))}, which it never saw");
        var unmarked = between.Where(m => !m.Marked).Select(m => m.Id).ToList();
        if (unmarked.Count == 0)
            return;
        var names = string.Join(", ", unmarked);
        if (!allowNewerSchema)
        {
            throw new DeployFailedException(
                $"rollback to {target} refused: {names} {(unmarked.Count == 1 ? "is" : "are")} not marked backward-compatible ('{CompatibilityMarker.Line}' as the first line); " +
                "pass --allow-newer-schema to roll back anyway; nothing changed");
        }

        log($"--allow-newer-schema: rolling back over {names}, not marked backward-compatible");
    }

    private static long? Parse(string? version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
}
